/**
 * Benchmarks: the machine's FMA peak and the exact forward's speed as a fraction of it (plain main classes),
 * plus a JMH timing of the same kernel.
 */
package org.tensorattention.bench;
