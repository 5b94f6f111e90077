package org.tensorattention.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinePlotTest {

    private static double[] range(int n, double from, double factor) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = from * Math.pow(factor, i);
        }
        return x;
    }

    /** Counts pixels close to a colour. */
    private static int count(BufferedImage img, Color c) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                Color p = new Color(img.getRGB(x, y));
                if (Math.abs(p.getRed() - c.getRed()) + Math.abs(p.getGreen() - c.getGreen())
                        + Math.abs(p.getBlue() - c.getBlue()) < 30) {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void writesALogLogPngWithSeriesInTheirColours(@TempDir Path dir) throws Exception {
        double[] n = range(8, 16, 2);
        double[] cubic = new double[n.length];
        double[] linear = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            cubic[i] = 1e-6 * n[i] * n[i] * n[i];
            linear[i] = 1e-4 * n[i];
        }
        Path file = dir.resolve("plot.png");
        new LinePlot("Time against n", "n", "seconds").logLog()
                .series("exact", n, cubic)
                .series("poly", n, linear)
                .reference("slope 3", n, cubic)
                .vertical(256, "crossover")
                .size(640, 400)
                .write(file);
        assertTrue(Files.size(file) > 1000);
        BufferedImage img = ImageIO.read(file.toFile());
        assertEquals(640, img.getWidth());
        assertEquals(400, img.getHeight());
        assertTrue(count(img, LinePlot.PALETTE[0]) > 200, "first series drawn in blue");
        assertTrue(count(img, LinePlot.PALETTE[1]) > 200, "second series drawn in red");
        assertTrue(count(img, Color.WHITE) > 640 * 400 / 2, "mostly white background");
    }

    @Test
    void aHigherSeriesIsDrawnHigherInTheImage() {
        double[] x = {0, 1, 2, 3};
        BufferedImage img = new LinePlot("", "x", "y").yRange(0, 10)
                .line("low", x, new double[] {1, 1, 1, 1})
                .line("high", x, new double[] {9, 9, 9, 9})
                .legend(LinePlot.Corner.BOTTOM_LEFT)
                .size(400, 300).render();
        int column = 200; // the legend, with nowhere free inside, stands right of the plotting area
        int lowY = -1;
        int highY = -1;
        for (int y = 0; y < img.getHeight(); y++) {
            Color p = new Color(img.getRGB(column, y));
            if (p.equals(LinePlot.PALETTE[0])) {
                lowY = y;
            }
            if (p.equals(LinePlot.PALETTE[1])) {
                highY = y;
            }
        }
        assertTrue(highY >= 0 && lowY >= 0, "both lines cross column " + column);
        assertTrue(highY < lowY, "y = 9 above y = 1");
    }

    @Test
    void aScatterMarksEveryPointAndJoinsNone() {
        double[] x = new double[60];
        double[] y = new double[60];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 2 == 0 ? 1 : 9;
            y[i] = i % 2 == 0 ? 1 : 9;
        }
        BufferedImage img = new LinePlot("", "x", "y").xRange(0, 10).yRange(0, 10)
                .points("", x, y).size(400, 300).render();
        // Nothing blue halfway between the two clusters: no line joins them.
        int midX = 78 + (int) Math.round(0.5 * (400 - 24 - 78));
        int midY = 300 - 58 - (int) Math.round(0.5 * (300 - 58 - 20));
        for (int dx = -3; dx <= 3; dx++) {
            Color p = new Color(img.getRGB(midX + dx, midY + dx));
            assertTrue(!p.equals(LinePlot.PALETTE[0]), "no line through the middle");
        }
        assertTrue(count(img, LinePlot.PALETTE[0]) > 20, "the markers are drawn");
    }

    @Test
    void panelsPutPlotsSideBySide() {
        double[] x = {1, 2, 3};
        LinePlot a = new LinePlot("a", "x", "y").series("s", x, x).size(300, 200);
        LinePlot b = new LinePlot("b", "x", "y").series("s", x, x).size(320, 240);
        BufferedImage img = Panels.row(List.of(a, b));
        assertEquals(620, img.getWidth());
        assertEquals(240, img.getHeight());
    }

    @Test
    void ticksAreRoundNumbers() {
        // Multiples of the 1-2-5 step 0.2 (up to the rounding of adding the step), labelled as written.
        List<Double> linear = Ticks.linear(0, 1, 5);
        assertEquals(6, linear.size());
        for (int i = 0; i < linear.size(); i++) {
            assertEquals(0.2 * i, linear.get(i), 1e-12);
            assertEquals(List.of("0", "0.2", "0.4", "0.6", "0.8", "1").get(i), Ticks.label(linear.get(i)));
        }
        assertEquals(List.of(1.0, 10.0, 100.0, 1000.0), Ticks.log(1, 1000));
        assertEquals(List.of(2.0, 3.0, 4.0, 5.0, 6.0), Ticks.log(1.5, 6));
        assertEquals(List.of(20.0, 50.0, 100.0, 200.0, 500.0, 1000.0), Ticks.log(15, 1100));
        assertEquals("0.25", Ticks.label(0.25));
        assertEquals("1e-4", Ticks.label(1e-4));
        assertEquals("2000", Ticks.label(2000));
    }

    @Test
    void badInputIsRefused() {
        LinePlot p = new LinePlot("t", "x", "y");
        assertThrows(IllegalArgumentException.class, () -> p.series("s", new double[2], new double[3]));
        assertThrows(IllegalArgumentException.class, () -> p.logY().yRange(0, 1));
        assertThrows(IllegalArgumentException.class, () -> p.size(10, 10));
    }

    @Test
    void emptyAndDegenerateDataStillRender() {
        BufferedImage img = new LinePlot("flat", "x", "y")
                .series("one point", new double[] {3}, new double[] {5})
                .series("nan", new double[] {1, 2}, new double[] {Double.NaN, Double.NaN})
                .render();
        assertEquals(800, img.getWidth());
    }
}
