package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tensorattention.io.TestFiles.dict;
import static org.tensorattention.io.TestFiles.fails;
import static org.tensorattention.io.TestFiles.npy;

import java.io.ByteArrayInputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

/**
 * The header grammar as numpy.lib.format reads it (ast.literal_eval, then checks of keys, shape, order and
 * dtype): what numpy accepts loads, what it refuses fails with one line. Hostile nesting cannot overflow
 * the stack.
 */
class HeaderGrammarTest {

    private static Tensor load(int major, String header, int dataBytes) throws NpzException {
        return Npy.read(new ByteArrayInputStream(npy(major, header, new byte[dataBytes])), "h.npy");
    }

    private static Tensor load(String header, int dataBytes) throws NpzException {
        return load(1, header, dataBytes);
    }

    /** A header nested 5,000 levels deep (a 10 KB file) is one line, not a StackOverflowError. */
    @Test
    void deepNestingFailsWithOneLine() {
        String deep = "(".repeat(5000) + "3" + ")".repeat(5000);
        String header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + deep + "}\n";
        assertTrue(npy(2, header, new byte[0]).length > 10_000);
        fails(() -> load(2, header, 24), "h.npy", "header");
        String shallowEnough = "{'descr': '<f8', 'fortran_order': False, 'shape': " + "[".repeat(4900) + "}\n";
        fails(() -> load(2, shallowEnough, 24), "h.npy: bad header: nested deeper than 200 levels");
    }

    @Test
    void parserKeepsItsNestingOffTheCallStack() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PyLiteral.parse("[".repeat(1_000_000)));
        assertTrue(e.getMessage().startsWith("nested deeper than 200 levels"), e.getMessage());
        // Python's own limit: 200 brackets parse, 201 do not.
        assertEquals(3L, PyLiteral.parse("(".repeat(200) + "3" + ")".repeat(200)));
        assertThrows(IllegalArgumentException.class, () -> PyLiteral.parse("(".repeat(201) + "3" + ")".repeat(201)));
    }

    /** Headers that numpy 1.24's np.load reads (checked with numpy), the shape it gives and the data bytes. */
    static Stream<Arguments> numpyReads() {
        return Stream.of(
            Arguments.of("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2147483647), }\n", new int[] {0, 2147483647}, 0),
            Arguments.of("{'descr': '<f8', 'fortran_order': False, 'shape': (0x3,), }\n", new int[] {3}, 24),
            Arguments.of("{'descr': '<f8', 'fortran_order': False, 'shape': (1_0,), }\n", new int[] {10}, 80),
            Arguments.of("{'descr': '<f8', 'fortran_order': False, 'shape': (+3,), }\n", new int[] {3}, 24),
            Arguments.of("{'descr': '<f8', 'fortran_order': False, 'shape': ((3),), }\n", new int[] {3}, 24),
            Arguments.of("{'descr': '<f8', 'fortran_order': False, 'shape': ( 3 , ), }\n", new int[] {3}, 24),
            Arguments.of("{'descr': '<f8', 'fortran_order': False, 'shape': (-0,), }\n", new int[] {0}, 0),
            Arguments.of("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), } # note\n", new int[] {3}, 24),
            Arguments.of("{'descr': '<f8',\n 'fortran_order': False,\t'shape': (3,)}\r\n", new int[] {3}, 24),
            Arguments.of("{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (3,)}\n", new int[] {3}, 24),
            Arguments.of("{'descr': '<' 'f8', 'fortran_order': False, 'shape': (3,)}\n", new int[] {3}, 24),
            Arguments.of("{'descr': '\\x3cf8', 'fortran_order': False, 'shape': (3,)}\n", new int[] {3}, 24),
            Arguments.of("{'descr': r'<f8', 'fortran_order': False, 'shape': (3,)}\n", new int[] {3}, 24),
            Arguments.of("({'descr': '<f8', 'fortran_order': False, 'shape': (3,)})\n", new int[] {3}, 24),
            Arguments.of("{'descr': '<i4', 'descr': '<f8', 'fortran_order': False, 'shape': (3,)}\n", new int[] {3}, 24),
            Arguments.of("{'descr': 'f8', 'fortran_order': False, 'shape': (3,)}\n", new int[] {3}, 24),
            Arguments.of("{'descr': '<d', 'fortran_order': False, 'shape': (3,)}\n", new int[] {3}, 24),
            Arguments.of("{'descr': 'float64', 'fortran_order': False, 'shape': (3,)}\n", new int[] {3}, 24),
            Arguments.of("{'descr': '|f8', 'fortran_order': False, 'shape': (3,)}\n", new int[] {3}, 24),
            Arguments.of("{'descr': '<f08', 'fortran_order': False, 'shape': (3,)}\n", new int[] {3}, 24),
            Arguments.of("{'descr': '<f', 'fortran_order': False, 'shape': (3,)}\n", new int[] {3}, 12),
            Arguments.of("{'descr': '<e', 'fortran_order': False, 'shape': (3,)}\n", new int[] {3}, 6),
            Arguments.of("{'descr': '?', 'fortran_order': False, 'shape': (3,)}\n", new int[] {3}, 3),
            Arguments.of("{'descr': '<b1', 'fortran_order': False, 'shape': (3,)}\n", new int[] {3}, 3),
            Arguments.of("{'descr': 'l', 'fortran_order': False, 'shape': (3,)}\n", new int[] {3}, 24));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("numpyReads")
    void acceptsWhatNumpyAccepts(String header, int[] shape, int dataBytes) throws NpzException {
        assertArrayEquals(shape, load(header, dataBytes).shape(), header);
    }

    @Test
    void python2LongSuffixOnlyBeforeFormat3() throws NpzException {
        assertArrayEquals(new int[] {3}, load(2, dict("<f8", "(3L,)") + "\n", 24).shape());
        fails(() -> load(3, dict("<f8", "(3L,)") + "\n", 24), "bad header", "unsupported number");
        // numpy's filter strips the name L only: a lower-case l is a syntax error.
        fails(() -> load(1, dict("<f8", "(3l,)") + "\n", 24), "bad header");
    }

    /** Headers numpy.lib.format refuses. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "{'descr': ' <f8', 'fortran_order': False, 'shape': (3,), }\n",
        "{'descr': '<f8 ', 'fortran_order': False, 'shape': (3,), }\n",
        "{'descr': '<i16', 'fortran_order': False, 'shape': (3,), }\n",
        "{'descr': 'u', 'fortran_order': False, 'shape': (3,), }\n",
        "{'descr': '<u0', 'fortran_order': False, 'shape': (3,), }\n",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (03,), }\n",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3.0,), }\n",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (True,), }\n",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1__0,), }\n",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (--3,), }\n",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2**4,), }\n",
        "{'descr': '<f8', 'fortran_order': False, 'shape': [3], }\n",
        "{'descr': '<f8', 'fortran_order': 1, 'shape': (3,), }\n",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\u00a0\n",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\0\n",
        "{b'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n",
        "{'descr': '''<f8''', 'fortran_order': False, 'shape': (3,), }\n",
    })
    void refusesWhatNumpyRefuses(String header) {
        fails(() -> load(header, 24), "h.npy: ");
    }

    /**
     * The format ends the header with a newline and gives item sizes in digits. numpy 1.24 reads these two
     * anyway; this reader holds to the format.
     */
    @Test
    void refusesWhatTheFormatForbids() {
        fails(() -> load(dict("<f8", "(3,)"), 24), "h.npy: bad header: it does not end with a newline");
        fails(() -> load(dict("<f8", "(3,)") + "    ", 24), "h.npy: bad header: it does not end with a newline");
        fails(() -> load(dict("<f+8", "(3,)") + "\n", 24), "h.npy: unsupported dtype '<f+8'");
    }

    /** Only ASCII digits make a Python int: Arabic-Indic three in a utf-8 (format 3.0) header is refused. */
    @Test
    void refusesUnicodeDigitsInTheShape() {
        fails(() -> load(3, dict("<f8", "(\u0663,)") + "\n", 24), "h.npy: bad header: unexpected character");
        fails(() -> load(3, dict("<f8", "(3\u0663,)") + "\n", 24), "h.npy: bad header: unsupported number");
        fails(() -> load(3, dict("<f8", "(\uff13,)") + "\n", 24), "h.npy: bad header");
    }

    @Test
    void refusesHeadersLongerThanNumpyReads() throws NpzException {
        String padded = dict("<f8", "(3,)") + " ".repeat(10_000) + "\n";
        fails(() -> load(2, padded, 24), "h.npy: header of 10058 bytes is longer than numpy reads (10000 characters)");
        String justFits = dict("<f8", "(3,)") + " ".repeat(10_000 - 58) + "\n";
        assertEquals(10_000, justFits.length());
        assertEquals(DType.FLOAT64, load(2, justFits, 24).dtype());
    }

    @Test
    void utf8HeaderMustBeValidUtf8() {
        byte[] file = npy(3, dict("<f8", "(3,)") + "\n", new byte[24]);
        file[12 + 3] = (byte) 0xff; // inside 'descr'
        fails(() -> Npy.read(new ByteArrayInputStream(file), "u.npy"), "u.npy: bad header: not valid utf-8");
    }
}
