package org.tensorattention.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
        List<Golden> cases = new ArrayList<>();
        for (JsonElement e : JsonParser.parseString(Files.readString(DIR.resolve("manifest.json"))).getAsJsonArray()) {
            JsonObject o = e.getAsJsonObject();
            List<String> opts = new ArrayList<>();
            for (JsonElement opt : o.getAsJsonArray("opts")) {
                opts.add(opt.getAsString());
            }
            cases.add(new Golden(o.get("name").getAsString(), o.get("kind").getAsString(), List.copyOf(opts),
                    o.get("tol").getAsDouble()));
        }
        return cases;
    }
}
