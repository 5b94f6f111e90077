package org.tensorattention.cli;

import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The golden cases of testdata/golden/manifest.json (read with a JSON parser). */
record Golden(String name, String kind, List<String> opts, double tol) {
    static final Path DIR = Path.of("..", "testdata", "golden");

    Path input() {
        return DIR.resolve("cases").resolve(name + ".in.npz");
    }

    Path expected() {
        return DIR.resolve("expected").resolve(name + ".npz");
    }

    /** Absolute for forward cases; relative (tol * max(1, max |expected|)) for backward and loss-gradient. */
    boolean relative() {
        return !kind.equals("forward");
    }

    @Override
    public String toString() {
        return name;
    }

    static List<Golden> all() throws IOException {
        // Gson fills records by their component names: name, kind, opts, tol.
        return List.of(new Gson().fromJson(Files.readString(DIR.resolve("manifest.json")), Golden[].class));
    }
}
