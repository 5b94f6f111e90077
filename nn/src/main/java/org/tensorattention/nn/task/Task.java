package org.tensorattention.nn.task;

/** Which tuples count as a match: a partner pair (Match3) or a single partner (Match2). */
public enum Task {
    /** y_i = 1 iff x_i + x_j1 + x_j2 = 0 (mod M) for some positions j1, j2 (any, i and each other included). */
    MATCH3(3),
    /** y_i = 1 iff x_i + x_j = 0 (mod M) for some position j (any, i included). */
    MATCH2(2);

    private final int arity;

    Task(int arity) {
        this.arity = arity;
    }

    /** Tokens in a matching tuple: 3 or 2. */
    public int arity() {
        return arity;
    }

    public String label() {
        return name().toLowerCase();
    }

    public static Task parse(String s) {
        for (Task t : values()) {
            if (t.label().equalsIgnoreCase(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown task '" + s + "' (expected match3 or match2)");
    }
}
