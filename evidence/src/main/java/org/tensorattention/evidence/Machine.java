package org.tensorattention.evidence;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A one-line description of where a measurement ran: processors, JVM, vector width and the load. */
public final class Machine {
    private Machine() {
    }

    public static String describe() {
        return String.format("%d processors, %s %s, Java %s, preferred vector %d bits, load average %s",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                System.getProperty("os.arch"), System.getProperty("java.version"),
                jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize(), loadAverage());
    }

    /** The 1-minute load average from /proc/loadavg, or "unknown". */
    public static String loadAverage() {
        try {
            String s = Files.readString(Path.of("/proc/loadavg")).trim();
            return s.split("\\s+")[0];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
