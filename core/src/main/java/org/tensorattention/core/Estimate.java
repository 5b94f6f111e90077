package org.tensorattention.core;

/**
 * What a backend would do on one call, decided before any kernel runs.
 *
 * @param method the method that would run (never AUTO)
 * @param flops  the forward's model flop count
 * @param poly   degree, rank and bound when poly would run, else null
 * @param reason why this method, in a few words
 */
public record Estimate(Method method, double flops, AttentionResult.PolyInfo poly, String reason) {
}
