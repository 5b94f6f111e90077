package org.tensorattention.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One case of testdata/golden/manifest.json, read with a JSON parser: name, kind, command-line options, tolerance. */
record GoldenManifest(String name, String kind, List<String> opts, double tol) {

    static List<GoldenManifest> all() throws IOException {
        JsonArray list = JsonParser.parseString(Files.readString(Fixtures.GOLDEN.resolve("manifest.json")))
                .getAsJsonArray();
        List<GoldenManifest> cases = new ArrayList<>();
        for (JsonElement e : list) {
            JsonObject o = e.getAsJsonObject();
            List<String> opts = new ArrayList<>();
            for (JsonElement opt : o.getAsJsonArray("opts")) {
                opts.add(opt.getAsString());
            }
            cases.add(new GoldenManifest(o.get("name").getAsString(), o.get("kind").getAsString(), List.copyOf(opts),
                    o.get("tol").getAsDouble()));
        }
        return cases;
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
