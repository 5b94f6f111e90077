package org.tensorattention.plot;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.tensorattention.io.OutputTarget;

/** Several plots side by side in one PNG (each keeps its own size; the row is as tall as the tallest). */
public final class Panels {
    private Panels() {
    }

    public static BufferedImage row(List<LinePlot> plots) {
        if (plots.isEmpty()) {
            throw new IllegalArgumentException("no plots to place side by side");
        }
        BufferedImage[] images = plots.stream().map(LinePlot::render).toArray(BufferedImage[]::new);
        int w = 0;
        int h = 0;
        for (BufferedImage im : images) {
            w += im.getWidth();
            h = Math.max(h, im.getHeight());
        }
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(0, 0, w, h);
            int x = 0;
            for (BufferedImage im : images) {
                g.drawImage(im, x, 0, null);
                x += im.getWidth();
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    /** Writes the plots side by side as one PNG. */
    public static void writeRow(List<LinePlot> plots, Path file) {
        writePng(row(plots), file);
    }

    /** An image as a PNG file, through the project's one output writer. */
    static void writePng(BufferedImage image, Path file) {
        try {
            OutputTarget.of(file).write(out -> {
                if (!ImageIO.write(image, "png", out)) {
                    throw new IOException("no PNG writer available");
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }
}
