package org.tensorattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The quickstart's demo runs both methods and its direct check agrees with the kernel. */
class DemoCommandTest {
    @ParameterizedTest
    @ValueSource(strings = {"float32", "float64"})
    void demoAgreesWithTheDirectSum(String dtype) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"demo", "--n", "48", "--d", "4", "--dtype", dtype, "--causal",
                "--check-rows", "5"}, new PrintStream(out), new PrintStream(err));
        assertEquals(0, status, err.toString());
        String text = out.toString();
        Matcher m = Pattern.compile("direct sum\\| over 5 rows = ([0-9.e+-]+)").matcher(text);
        assertTrue(m.find(), text);
        assertTrue(Double.parseDouble(m.group(1)) < (dtype.equals("float32") ? 1e-6 : 1e-13), text);
        Matcher p = Pattern.compile("max \\|O~ - O\\| = ([0-9.e+-]+) <= bound ([0-9.e+-]+)").matcher(text);
        assertTrue(p.find(), text);
        assertTrue(Double.parseDouble(p.group(1)) <= Double.parseDouble(p.group(2)), text);
    }
}
