package org.tensorattention.core.cpu;

import org.tensorattention.core.Geometry;
import org.tensorattention.core.Method;
import org.tensorattention.core.poly.PolyAttention;

/**
 * One validated call with its method resolved: forward and backward both run from it, so auto decides once
 * and the poly inputs are converted and planned once.
 *
 * @param g        the call's geometry
 * @param method   what runs: EXACT or POLY
 * @param fallback true when auto fell back to exact, which must then keep epsilon in float64
 * @param poly     the prepared poly call (null when the exact method was requested)
 * @param reason   why this method
 */
record Plan(Geometry g, Method method, boolean fallback, PolyAttention.Prepared poly,
            String reason) {
}
