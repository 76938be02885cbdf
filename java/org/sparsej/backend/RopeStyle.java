package org.sparsej.backend;

/** Which dimensions of a head RoPE rotates together. Ordinals match sj_rope_style in llama_ops.h. */
public enum RopeStyle {
  /** Pairs (2i, 2i+1): llama2.c and GGUF checkpoints. */
  INTERLEAVED,
  /** Pairs (i, i + headSize/2): Hugging Face checkpoints ("rotate_half"). */
  HALF
}
