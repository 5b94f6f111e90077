package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A folder output: checked before work, complete or absent, nothing left beside it. */
class OutputFolderTest {
    @TempDir
    Path tmp;

    private List<String> names() throws Exception {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void appearsWholeOnCommitAndOnlyThen() throws Exception {
        Path target = tmp.resolve("out.parquet");
        try (OutputFolder f = OutputFolder.of(target.toString())) {
            Files.createDirectory(f.staging());
            Files.writeString(f.staging().resolve("part-0"), "rows");
            assertFalse(Files.exists(target), "nothing at the target before the commit");
            f.commit();
        }
        assertEquals("rows", Files.readString(target.resolve("part-0")));
        assertEquals(List.of("out.parquet"), names(), "no staging folder left");
    }

    @Test
    void givingUpLeavesNothing() throws Exception {
        try (OutputFolder f = OutputFolder.of(tmp.resolve("out").toString())) {
            Files.createDirectories(f.staging().resolve("deep"));
            Files.writeString(f.staging().resolve("deep").resolve("x"), "half");
        }
        assertEquals(List.of(), names());
    }

    @Test
    void refusesWhatExistsAndMissingFoldersBeforeAnyWork() throws Exception {
        Path existing = Files.createDirectory(tmp.resolve("existing"));
        Path file = Files.writeString(tmp.resolve("file"), "x");
        NpzException e = assertThrows(NpzException.class, () -> OutputFolder.of(existing.toString()));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        e = assertThrows(NpzException.class, () -> OutputFolder.of(file.toString()));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        e = assertThrows(NpzException.class, () -> OutputFolder.of(tmp.resolve("no").resolve("out").toString()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertEquals(List.of("existing", "file"), names(), "nothing reserved for a refused output");
    }

    @Test
    void aFolderThatAppearsMeanwhileIsNotReplaced() throws Exception {
        Path target = tmp.resolve("out");
        try (OutputFolder f = OutputFolder.of(target.toString())) {
            Files.createDirectory(f.staging());
            Files.writeString(f.staging().resolve("part-0"), "new");
            Files.createDirectory(target);
            Files.writeString(target.resolve("theirs"), "old");
            NpzException e = assertThrows(NpzException.class, f::commit);
            assertTrue(e.getMessage().contains("appeared"), e.getMessage());
        }
        assertEquals(List.of("out"), names());
        assertEquals(List.of("theirs"), Files.list(target).map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void thePlanRefusesAFolderThatIsAnInputAndGivesUpOnClose() throws Exception {
        Path in = Files.writeString(tmp.resolve("in.npz"), "x");
        try (OutputPlan plan = new OutputPlan(new ByteArrayOutputStream())) {
            plan.input("--input", in.toString());
            OutputFolder f = plan.folder("--output", tmp.resolve("out").toString());
            Files.createDirectory(f.staging());
            NpzException e = assertThrows(NpzException.class,
                    () -> plan.folder("--other", tmp.resolve("out").toString()));
            assertTrue(e.getMessage().startsWith("--other"), e.getMessage());
        }
        assertEquals(List.of("in.npz"), names(), "the plan's close gave up the folder");
    }
}
