package org.tensorattention.plot;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Every log axis has three labelled ticks or more; the legend never covers data. */
class PlotRulesTest {
    @Test
    void everyLogAxisHasAtLeastThreeTicks() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 2000; i++) {
            double lo = Math.pow(10, r.nextDouble(-12, 12));
            double hi = lo * Math.pow(10, r.nextDouble(0.01, 14));
            List<Double> ticks = Ticks.log(lo, hi);
            assertTrue(ticks.size() >= 3, "[" + lo + ", " + hi + "]: " + ticks);
            long distinct = ticks.stream().map(Ticks::label).distinct().count();
            assertTrue(distinct == ticks.size(), "labels differ: " + ticks);
        }
        // A training loss that moves little: from 0.62 to 0.69.
        assertTrue(Ticks.log(0.62, 0.69).size() >= 3, Ticks.log(0.62, 0.69).toString());
    }

    private static LinePlot.Layout layoutOf(LinePlot p) {
        BufferedImage img = new BufferedImage(800, 520, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            return p.layout(g, 800, 520);
        } finally {
            g.dispose();
        }
    }

    private static void legendCoversNothing(LinePlot p) {
        LinePlot.Layout l = layoutOf(p);
        Rectangle2D box = l.legend();
        assertTrue(box.getMinX() >= 0 && box.getMaxX() <= 800 && box.getMinY() >= 0 && box.getMaxY() <= 520, box.toString());
        for (double[] px : p.dataPixels(l.ax(), l.ay(), l.left(), l.right(), l.top(), l.bottom())) {
            assertTrue(!box.contains(px[0], px[1]), "legend " + box + " covers data at " + px[0] + ", " + px[1]);
        }
    }

    @Test
    void theLegendMovesToAFreeCornerOrOutOfTheWay() {
        double[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        // Data through the top-right corner, where the legend would go by default.
        legendCoversNothing(new LinePlot("t", "x", "y").series("rising", x, x).series("also rising", x, x.clone()));
        // Data through all four corners: the legend must leave the plotting area.
        double[] zig = {0, 10, 0, 10, 0, 10, 0, 10, 0, 10};
        double[] zag = {10, 0, 10, 0, 10, 0, 10, 0, 10, 0};
        LinePlot crowded = new LinePlot("t", "x", "y").series("zig", x, zig).series("zag", x, zag)
                .reference("n^3", x, x).horizontal("half", 5);
        legendCoversNothing(crowded);
        LinePlot.Layout l = layoutOf(crowded);
        assertTrue(l.legend().getMinX() > l.right(), "outside, to the right");
    }
}
