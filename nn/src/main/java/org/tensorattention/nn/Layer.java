package org.tensorattention.nn;

import java.util.List;

/**
 * A layer from activations to activations. {@link #forward} keeps what {@link #backward} needs; backward
 * takes dL/d(output), adds into the parameters' gradients and returns dL/d(input). One forward, then at
 * most one backward.
 */
public interface Layer {
    Hidden forward(Hidden x);

    Hidden backward(Hidden dy);

    List<Param> params();
}
