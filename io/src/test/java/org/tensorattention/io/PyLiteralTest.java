package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The header literal parser: what Python's ast.literal_eval would return, for the shapes headers take. */
class PyLiteralTest {

    @Test
    void numpyHeader() {
        Object parsed = PyLiteral.parse("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }          \n");
        assertEquals(Map.of("descr", "<f8", "fortran_order", false,
                "shape", new PyLiteral.Tuple(List.of(3L, 4L))), parsed);
    }

    @Test
    void tuplesNeedACommaToHaveOneElement() {
        assertEquals(new PyLiteral.Tuple(List.of(5L)), PyLiteral.parse("(5,)"));
        assertEquals(5L, PyLiteral.parse("(5)"));
        assertEquals(new PyLiteral.Tuple(List.of()), PyLiteral.parse("()"));
        assertEquals(new PyLiteral.Tuple(List.of(1L)), PyLiteral.parse("((1,))"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', quoteCharacter = '`', value = {
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4)};{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4)}",
        "{\"descr\": \"|u1\", 'shape': (7,), 'x': None, 'y': True};{'descr': '|u1', 'shape': (7,), 'x': None, 'y': True}",
        "[('a', '<f8'), ('b', '<i4')];[('a', '<f8'), ('b', '<i4')]",
        "(3L, 4L);(3, 4)",
        "'it\\'s';'it\\'s'",
        "'\\x41\\u0042';'AB'",
    })
    void parsesAndPrintsBack(String text, String repr) {
        assertEquals(repr, PyLiteral.repr(PyLiteral.parse(text)));
    }

    /** A repeated key keeps its first place and its last value, as a Python dict display does. */
    @Test
    void repeatedKeyKeepsTheLastValue() {
        assertEquals("{'a': 2, 'b': 3}", PyLiteral.repr(PyLiteral.parse("{'a': 1, 'b': 3, 'a': 2}")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{'a' 1}", "{'a': 1,, }", "(1 2)", "1.5", "1e3", "'open", "abc", "{1: 2}",
        "(1,) x", "99999999999999999999", "os.system('x')"})
    void rejectsWhatIsNotASimpleLiteral(String text) {
        assertThrows(IllegalArgumentException.class, () -> PyLiteral.parse(text));
    }
}
