package org.tensorattention.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The golden cases of testdata/golden/manifest.json (a JSON list of flat objects, parsed here by hand). */
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
        String json = Files.readString(DIR.resolve("manifest.json"));
        List<Golden> cases = new ArrayList<>();
        int at = 0;
        while ((at = json.indexOf('{', at)) >= 0) {
            int end = json.indexOf('}', at);
            String obj = json.substring(at, end);
            cases.add(new Golden(string(obj, "name"), string(obj, "kind"), strings(obj, "opts"),
                    Double.parseDouble(raw(obj, "tol"))));
            at = end;
        }
        return cases;
    }

    private static String raw(String obj, String key) {
        int k = obj.indexOf('"' + key + '"');
        int colon = obj.indexOf(':', k);
        int stop = colon + 1;
        while (stop < obj.length() && ",}\n".indexOf(obj.charAt(stop)) < 0) {
            stop++;
        }
        return obj.substring(colon + 1, stop).trim();
    }

    private static String string(String obj, String key) {
        String r = raw(obj, key);
        return r.substring(1, r.length() - 1);
    }

    private static List<String> strings(String obj, String key) {
        int k = obj.indexOf('"' + key + '"');
        String list = obj.substring(obj.indexOf('[', k) + 1, obj.indexOf(']', k));
        List<String> out = new ArrayList<>();
        for (int open = list.indexOf('"'); open >= 0; open = list.indexOf('"', list.indexOf('"', open + 1) + 1)) {
            out.add(list.substring(open + 1, list.indexOf('"', open + 1)));
        }
        return out;
    }
}
