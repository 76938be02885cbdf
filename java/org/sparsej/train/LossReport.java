package org.sparsej.train;

/**
 * One step's loss: the total minimised and its parts (ce is always computed; kd and squarehead are 0 when the
 * loss has no such term), over {@code tokens} target tokens.
 */
public record LossReport(double total, double ce, double kd, double squarehead, long tokens) {}
