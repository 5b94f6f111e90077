package org.tensorattention.io;

import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** One case of testdata/golden/manifest.json, read with a JSON parser: name, kind, command-line options, tolerance. */
record GoldenManifest(String name, String kind, List<String> opts, double tol) {

    static List<GoldenManifest> all() throws IOException {
        // Gson fills records by their component names: name, kind, opts, tol.
        return List.of(new Gson().fromJson(Files.readString(Fixtures.GOLDEN.resolve("manifest.json")),
                GoldenManifest[].class));
    }

    Path input() {
        return Fixtures.GOLDEN.resolve("cases").resolve(name + ".in.npz");
    }

    Path expected() {
        return Fixtures.GOLDEN.resolve("expected").resolve(name + ".npz");
    }

    @Override
    public String toString() {
        return name;
    }
}
