package org.sparsej.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.bytedeco.javacpp.Pointer;
import org.sparsej.util.SparsejException;

/**
 * A typed, shaped view of off-heap memory: a direct (or memory-mapped) little-endian buffer ({@link OffHeapMemory}
 * past the JVM's direct-memory limit) that Java reads
 * through {@link ByteBuffer} and native kernels read at {@link #address()} without copying. Views share memory
 * with their parent. One tensor holds at most 2 GiB (a Java buffer's limit); models split larger weights per layer.
 */
public final class Tensor {
  private final ByteBuffer buffer;  // exactly this tensor's bytes, position 0, little-endian
  private final DType dtype;
  private final int[] shape;
  private final long size;
  private long address;  // 0 until a native caller asks

  private Tensor(ByteBuffer buffer, DType dtype, int[] shape) {
    this.buffer = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
    this.dtype = dtype;
    this.shape = shape.clone();
    this.size = elementCount(shape);
    if (size * dtype.bytes() != this.buffer.capacity()) {
      throw new SparsejException("tensor of shape " + Arrays.toString(shape) + " " + dtype + " needs "
          + size * dtype.bytes() + " bytes, buffer has " + this.buffer.capacity());
    }
  }

  /** Zero-filled off-heap tensor. */
  public static Tensor allocate(DType dtype, int... shape) {
    long bytes = elementCount(shape) * dtype.bytes();
    if (bytes > Integer.MAX_VALUE) {
      throw new SparsejException("tensor of shape " + Arrays.toString(shape) + " exceeds 2 GiB");
    }
    return new Tensor(OffHeapMemory.directBuffer((int) bytes), dtype, shape);
  }

  /** Wraps existing direct memory (e.g. a memory-mapped region of a model file) without copying. */
  public static Tensor wrap(ByteBuffer direct, DType dtype, int... shape) {
    if (!direct.isDirect()) {
      throw new IllegalArgumentException("tensors live off-heap: the buffer must be direct");
    }
    return new Tensor(direct, dtype, shape);
  }

  public static Tensor of(float[] values, int... shape) {
    Tensor t = allocate(DType.F32, shape);
    t.floats().put(values);
    return t;
  }

  private static long elementCount(int[] shape) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new SparsejException("negative dimension in shape " + Arrays.toString(shape));
      }
      n *= d;
    }
    return n;
  }

  public DType dtype() {
    return dtype;
  }

  public int[] shape() {
    return shape.clone();
  }

  public int dim(int i) {
    return shape[i];
  }

  public int rank() {
    return shape.length;
  }

  public long size() {
    return size;
  }

  public long byteSize() {
    return buffer.capacity();
  }

  /** This tensor's bytes (a fresh view: callers may move its position freely). */
  public ByteBuffer bytes() {
    return buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** This tensor's floats (F32 only; a fresh view). */
  public FloatBuffer floats() {
    requireDType(DType.F32);
    return bytes().asFloatBuffer();
  }

  public float getFloat(long i) {
    return buffer.getFloat(Math.toIntExact(i * 4));
  }

  public void setFloat(long i, float v) {
    buffer.putFloat(Math.toIntExact(i * 4), v);
  }

  public float[] toFloatArray() {
    float[] out = new float[Math.toIntExact(size)];
    floats().get(out);
    return out;
  }

  /** Fills an F32 tensor with one value (tests poison outputs with NaN before a kernel writes them). */
  public Tensor fill(float v) {
    requireDType(DType.F32);
    for (long i = 0; i < size; i++) {
      setFloat(i, v);
    }
    return this;
  }

  /** A view of {@code shape} elements starting at element {@code offset}; shares memory. */
  public Tensor view(long offset, int... shape) {
    long n = elementCount(shape);
    if (offset < 0 || offset + n > size) {
      throw new SparsejException("view of " + n + " elements at " + offset + " exceeds tensor of " + size);
    }
    ByteBuffer b = bytes();
    b.position(Math.toIntExact(offset * dtype.bytes()));
    b.limit(Math.toIntExact((offset + n) * dtype.bytes()));
    Tensor t = new Tensor(b, dtype, shape);
    if (address != 0) {
      t.address = address + offset * dtype.bytes();
    }
    return t;
  }

  /** Row {@code i} of a tensor whose first dimension indexes rows. */
  public Tensor row(int i) {
    int[] rest = Arrays.copyOfRange(shape, 1, shape.length);
    return view((long) i * (size / shape[0]), rest);
  }

  public Tensor reshape(int... newShape) {
    if (elementCount(newShape) != size) {
      throw new SparsejException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
    }
    Tensor t = new Tensor(buffer, dtype, newShape);
    t.address = address;
    return t;
  }

  /** Address of the first element, for native kernels. */
  public long address() {
    if (address == 0 && buffer.capacity() > 0) {
      address = new Pointer(buffer).address();
    }
    return address;
  }

  public void requireDType(DType expected) {
    if (dtype != expected) {
      throw new SparsejException("expected a " + expected + " tensor, got " + dtype);
    }
  }

  /** Throws a one-line error naming {@code what} unless this tensor holds at least {@code elements} values. */
  public void requireSize(String what, long elements) {
    if (size < elements) {
      throw new SparsejException(what + ": needs " + elements + " elements, tensor " + Arrays.toString(shape)
          + " has " + size);
    }
  }

  public void requireShape(String what, int... expected) {
    if (!Arrays.equals(shape, expected)) {
      throw new SparsejException(what + ": expected shape " + Arrays.toString(expected) + ", got "
          + Arrays.toString(shape));
    }
  }

  @Override
  public String toString() {
    return "Tensor" + Arrays.toString(shape) + " " + dtype;
  }
}
