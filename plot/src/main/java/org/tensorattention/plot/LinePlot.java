package org.tensorattention.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A line plot written as a PNG: title, axis labels, linear or log-log axes, named series with markers and a
 * legend, dashed reference lines and labelled vertical markers.
 *
 * <pre>{@code
 * new LinePlot("Learning curve", "step", "loss").logY()
 *         .series("order 3", steps, loss3)
 *         .reference("chance", xs, half)
 *         .vertical(1000, "lr decay")
 *         .write(Path.of("curve.png"));
 * }</pre>
 *
 * Points that cannot be drawn (NaN, infinite, or not positive on a log axis) are skipped and break the line.
 */
public final class LinePlot {
    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** The corner the legend prefers; it moves to a free corner, or out of the plotting area, rather than cover data. */
    public enum Corner { TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT }

    /** Ten colours that stay distinct on white (the "tab10" palette). */
    static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf), new Color(0xbcbd22), new Color(0x7f7f7f),
    };

    /** dash: null for a solid line, else the pattern of a guide (each guide gets its own). */
    private record Series(String name, double[] x, double[] y, Color color, float[] dash, boolean markers,
                          boolean joined) {
        boolean dashed() {
            return dash != null;
        }
    }

    /** Guides (reference lines) differ from each other in dash pattern and shade, not only from the data. */
    private static final float[][] DASHES = {{8f, 5f}, {2f, 3f}, {11f, 4f, 2f, 4f}, {16f, 6f}};
    private static final Color[] GUIDE_SHADES = {new Color(0x444444), new Color(0x777777), new Color(0x333333), new Color(0x999999)};

    /** Where things go: the plotting area and the legend box (null when nothing is named). */
    record Layout(int left, int right, int top, int bottom, Axis ax, Axis ay, Rectangle2D legend) {
    }

    private record Marker(double x, String label) {
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private final List<Marker> verticals = new ArrayList<>();
    private boolean logX;
    private boolean logY;
    private double[] xRange;
    private double[] yRange;
    private int width = 800;
    private int height = 520;
    private Corner legend = Corner.TOP_RIGHT;
    private int colorIndex;
    private int guideIndex;

    public LinePlot(String title, String xLabel, String yLabel) {
        this.title = title == null ? "" : title;
        this.xLabel = xLabel == null ? "" : xLabel;
        this.yLabel = yLabel == null ? "" : yLabel;
    }

    /** Logarithmic x and y axes. */
    public LinePlot logLog() {
        logX = true;
        logY = true;
        return this;
    }

    public LinePlot logX() {
        logX = true;
        return this;
    }

    public LinePlot logY() {
        logY = true;
        return this;
    }

    /** Image size in pixels. */
    public LinePlot size(int w, int h) {
        if (w < 200 || h < 150) {
            throw new IllegalArgumentException("plot size must be at least 200 x 150, got " + w + " x " + h);
        }
        width = w;
        height = h;
        return this;
    }

    /** Fixes the x range instead of fitting it to the data. */
    public LinePlot xRange(double lo, double hi) {
        xRange = checkedRange("x", lo, hi, logX);
        return this;
    }

    /** Fixes the y range instead of fitting it to the data (e.g. 0..1 for an accuracy). */
    public LinePlot yRange(double lo, double hi) {
        yRange = checkedRange("y", lo, hi, logY);
        return this;
    }

    public LinePlot legend(Corner corner) {
        legend = corner;
        return this;
    }

    /** A named series drawn as a line with markers, in the next palette colour. */
    public LinePlot series(String name, double[] x, double[] y) {
        return add(name, x, y, PALETTE[colorIndex++ % PALETTE.length], true);
    }

    /** A named series drawn as a plain line without markers (for long curves). */
    public LinePlot line(String name, double[] x, double[] y) {
        return add(name, x, y, PALETTE[colorIndex++ % PALETTE.length], false);
    }

    /** A named scatter: every point gets a marker, none are joined (for many independent measurements). */
    public LinePlot points(String name, double[] x, double[] y) {
        return add(name, x, y, PALETTE[colorIndex++ % PALETTE.length], null, true, false);
    }

    /** A grey guide line, e.g. a slope or a bound, named in the legend; each guide has its own dash pattern. */
    public LinePlot reference(String name, double[] x, double[] y) {
        return guide(name, x, y);
    }

    /** A horizontal guide at y across the whole x range. */
    public LinePlot horizontal(String name, double y) {
        return guide(name, null, new double[] {y, y});
    }

    private LinePlot guide(String name, double[] x, double[] y) {
        int i = guideIndex++;
        return add(name, x, y, GUIDE_SHADES[i % GUIDE_SHADES.length], DASHES[i % DASHES.length], false, true);
    }

    /** A dotted vertical line at x with a label next to its top. */
    public LinePlot vertical(double x, String label) {
        verticals.add(new Marker(x, label == null ? "" : label));
        return this;
    }

    private LinePlot add(String name, double[] x, double[] y, Color color, boolean markers) {
        return add(name, x, y, color, null, markers, true);
    }

    private LinePlot add(String name, double[] x, double[] y, Color color, float[] dash, boolean markers,
                         boolean joined) {
        if (x != null && x.length != y.length) {
            throw new IllegalArgumentException("series '" + name + "' has " + x.length + " x values but " + y.length + " y values");
        }
        series.add(new Series(name == null ? "" : name, x == null ? null : x.clone(), y.clone(), color, dash, markers,
                joined));
        return this;
    }

    private static double[] checkedRange(String axis, double lo, double hi, boolean log) {
        if (!(hi > lo) || !Double.isFinite(lo) || !Double.isFinite(hi) || (log && lo <= 0)) {
            throw new IllegalArgumentException(axis + " range [" + lo + ", " + hi + "] is empty or not finite");
        }
        return new double[] {lo, hi};
    }

    /** Writes the plot as a PNG file. */
    public void write(Path file) {
        Panels.writePng(render(), file);
    }

    /** Draws the plot into a new image. */
    public BufferedImage render() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            draw(g, width, height);
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Draws the plot onto g in a w x h area whose top-left corner is the origin. */
    void draw(Graphics2D g, int w, int h) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);

        Font tickFont = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 16);
        Layout layout = layout(g, w, h);
        int left = layout.left();
        int right = layout.right();
        int top = layout.top();
        int bottom = layout.bottom();
        Axis ax = layout.ax();
        Axis ay = layout.ay();

        // Grid and ticks.
        g.setFont(tickFont);
        FontMetrics fm = g.getFontMetrics();
        for (double t : ax.ticks()) {
            int px = (int) Math.round(left + ax.fraction(t) * (right - left));
            g.setColor(new Color(0xE6E6E6));
            g.drawLine(px, top, px, bottom);
            g.setColor(Color.DARK_GRAY);
            g.drawLine(px, bottom, px, bottom + 5);
            String s = Ticks.label(t);
            g.drawString(s, px - fm.stringWidth(s) / 2, bottom + 8 + fm.getAscent());
        }
        for (double t : ay.ticks()) {
            int py = (int) Math.round(bottom - ay.fraction(t) * (bottom - top));
            g.setColor(new Color(0xE6E6E6));
            g.drawLine(left, py, right, py);
            g.setColor(Color.DARK_GRAY);
            g.drawLine(left - 5, py, left, py);
            String s = Ticks.label(t);
            g.drawString(s, left - 8 - fm.stringWidth(s), py + fm.getAscent() / 2 - 1);
        }
        g.setColor(Color.DARK_GRAY);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(left, top, right - left, bottom - top);

        // Title and axis labels.
        g.setColor(Color.BLACK);
        g.setFont(titleFont);
        fm = g.getFontMetrics();
        g.drawString(title, (left + right) / 2 - fm.stringWidth(title) / 2, 28);
        g.setFont(labelFont);
        fm = g.getFontMetrics();
        g.drawString(xLabel, (left + right) / 2 - fm.stringWidth(xLabel) / 2, h - 14);
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, -(top + bottom) / 2 - fm.stringWidth(yLabel) / 2, 20);
        g.setTransform(saved);

        // Data, clipped to the plotting area.
        Shape clip = g.getClip();
        g.clipRect(left + 1, top + 1, right - left - 1, bottom - top - 1);
        for (Marker m : verticals) {
            if (ax.log && m.x() <= 0) {
                continue;
            }
            double px = left + ax.fraction(m.x()) * (right - left);
            g.setColor(new Color(0x444444));
            g.setStroke(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {2f, 3f}, 0f));
            g.draw(new Line2D.Double(px, top, px, bottom));
        }
        int index = 0;
        for (Series s : series) {
            drawSeries(g, s, index++, ax, ay, left, right, top, bottom);
        }
        // Marker labels last, on a light box, so no curve hides them.
        g.setFont(tickFont);
        FontMetrics mf = g.getFontMetrics();
        for (Marker m : verticals) {
            if ((ax.log && m.x() <= 0) || m.label().isEmpty()) {
                continue;
            }
            double px = left + ax.fraction(m.x()) * (right - left);
            g.setColor(new Color(255, 255, 255, 220));
            g.fill(new Rectangle2D.Double(px + 2, top + 4, mf.stringWidth(m.label()) + 4, mf.getHeight()));
            g.setColor(new Color(0x444444));
            g.drawString(m.label(), (float) px + 4, top + 4 + mf.getAscent());
        }
        g.setClip(clip);
        drawLegend(g, labelFont, layout.legend());
    }

    private static final Font LEGEND_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 14);

    /**
     * The plotting area and the legend's place: the requested corner if no data point or line falls under the
     * box there, else the first free corner, else a column right of the plotting area, which then narrows.
     */
    Layout layout(Graphics2D g, int w, int h) {
        int left = 78;
        int right = w - 24;
        int top = title.isEmpty() ? 20 : 44;
        int bottom = h - 58;
        Axis ax = axis(true);
        Axis ay = axis(false);
        List<Series> named = series.stream().filter(s -> !s.name().isEmpty()).toList();
        if (named.isEmpty()) {
            return new Layout(left, right, top, bottom, ax, ay, null);
        }
        FontMetrics fm = g.getFontMetrics(LEGEND_FONT);
        int row = fm.getHeight() + 2;
        int boxW = named.stream().mapToInt(s -> fm.stringWidth(s.name())).max().orElse(0) + 52;
        int boxH = row * named.size() + 8;
        List<double[]> pixels = dataPixels(ax, ay, left, right, top, bottom);
        List<Corner> order = new ArrayList<>(List.of(legend));
        for (Corner c : Corner.values()) {
            if (c != legend) {
                order.add(c);
            }
        }
        for (Corner c : order) {
            int x = c == Corner.TOP_LEFT || c == Corner.BOTTOM_LEFT ? left + 10 : right - 10 - boxW;
            int y = c == Corner.TOP_LEFT || c == Corner.TOP_RIGHT ? top + 10 : bottom - 10 - boxH;
            Rectangle2D box = new Rectangle2D.Double(x, y, boxW, boxH);
            if (pixels.stream().noneMatch(p -> box.contains(p[0], p[1]))) {
                return new Layout(left, right, top, bottom, ax, ay, box);
            }
        }
        int narrowed = right - boxW - 16;
        return new Layout(left, narrowed, top, bottom, ax, ay, new Rectangle2D.Double(narrowed + 12, top, boxW, boxH));
    }

    /** Every drawn point, and points every few pixels along each drawn segment, in pixels. */
    List<double[]> dataPixels(Axis ax, Axis ay, int left, int right, int top, int bottom) {
        List<double[]> pts = new ArrayList<>();
        for (Series s : series) {
            double[] xs = s.x() != null ? s.x() : new double[] {ax.lo, ax.hi};
            double[] ys = s.y();
            double[] prev = null;
            for (int i = 0; i < ys.length; i++) {
                if (!drawable(xs[i], ax) || !drawable(ys[i], ay)) {
                    prev = null;
                    continue;
                }
                double[] p = {left + ax.fraction(xs[i]) * (right - left), bottom - ay.fraction(ys[i]) * (bottom - top)};
                if (prev != null && s.joined()) {
                    double len = Math.hypot(p[0] - prev[0], p[1] - prev[1]);
                    int steps = (int) Math.min(400, Math.ceil(len / 3));
                    for (int k = 1; k < steps; k++) {
                        double f = (double) k / steps;
                        pts.add(new double[] {prev[0] + f * (p[0] - prev[0]), prev[1] + f * (p[1] - prev[1])});
                    }
                }
                pts.add(p);
                prev = p;
            }
        }
        return pts;
    }

    private void drawSeries(Graphics2D g, Series s, int index, Axis ax, Axis ay, int left, int right, int top, int bottom) {
        g.setColor(s.color());
        g.setStroke(stroke(s));
        double[] xs = s.x() != null ? s.x() : new double[] {ax.lo, ax.hi};
        double[] ys = s.y();
        Path2D.Double path = new Path2D.Double();
        boolean open = false;
        for (int i = 0; i < ys.length; i++) {
            if (!drawable(xs[i], ax) || !drawable(ys[i], ay)) {
                open = false;
                continue;
            }
            double px = left + ax.fraction(xs[i]) * (right - left);
            double py = bottom - ay.fraction(ys[i]) * (bottom - top);
            if (open) {
                path.lineTo(px, py);
            } else {
                path.moveTo(px, py);
                open = true;
            }
        }
        if (s.joined()) {
            g.draw(path);
        }
        if (!s.markers()) {
            return;
        }
        // At most about 25 markers per joined series, so long curves stay readable; a scatter shows them all.
        int every = s.joined() ? Math.max(1, (int) Math.ceil(ys.length / 25.0)) : 1;
        double radius = s.joined() ? 4.5 : 3;
        g.setStroke(new BasicStroke(1.5f));
        for (int i = 0; i < ys.length; i += every) {
            if (drawable(xs[i], ax) && drawable(ys[i], ay)) {
                double px = left + ax.fraction(xs[i]) * (right - left);
                double py = bottom - ay.fraction(ys[i]) * (bottom - top);
                g.fill(marker(index, px, py, radius));
            }
        }
    }

    private void drawLegend(Graphics2D g, Font font, Rectangle2D box) {
        if (box == null) {
            return;
        }
        List<Series> named = series.stream().filter(s -> !s.name().isEmpty()).toList();
        g.setFont(font);
        FontMetrics fm = g.getFontMetrics();
        int row = fm.getHeight() + 2;
        double x = box.getX();
        double y = box.getY();
        g.setColor(new Color(255, 255, 255, 225));
        g.fill(box);
        g.setColor(new Color(0xAAAAAA));
        g.setStroke(new BasicStroke(1f));
        g.draw(box);
        for (int i = 0; i < named.size(); i++) {
            Series s = named.get(i);
            double cy = y + 4 + row * i + row / 2.0;
            g.setColor(s.color());
            g.setStroke(stroke(s));
            if (s.joined()) {
                g.draw(new Line2D.Double(x + 8, cy, x + 38, cy));
            }
            if (s.markers()) {
                g.fill(marker(series.indexOf(s), x + 23, cy, 4.5));
            }
            g.setColor(Color.BLACK);
            g.drawString(s.name(), (float) x + 44, (float) cy + fm.getAscent() / 2f - 2);
        }
    }

    private static BasicStroke stroke(Series s) {
        return s.dashed()
                ? new BasicStroke(1.6f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, s.dash(), 0f)
                : new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    }

    /** Circle, square, triangle, diamond, in turn per series. */
    private static Shape marker(int index, double x, double y, double r) {
        switch (index % 4) {
            case 0:
                return new Ellipse2D.Double(x - r, y - r, 2 * r, 2 * r);
            case 1:
                return new Rectangle2D.Double(x - r * 0.9, y - r * 0.9, 1.8 * r, 1.8 * r);
            case 2: {
                Path2D.Double p = new Path2D.Double();
                p.moveTo(x, y - r * 1.2);
                p.lineTo(x + r * 1.1, y + r * 0.8);
                p.lineTo(x - r * 1.1, y + r * 0.8);
                p.closePath();
                return p;
            }
            default: {
                Path2D.Double p = new Path2D.Double();
                p.moveTo(x, y - r * 1.3);
                p.lineTo(x + r * 1.1, y);
                p.lineTo(x, y + r * 1.3);
                p.lineTo(x - r * 1.1, y);
                p.closePath();
                return p;
            }
        }
    }

    private static boolean drawable(double v, Axis a) {
        return Double.isFinite(v) && (!a.log || v > 0);
    }

    /** The axis fitted to the drawable data (reference lines included), or to the fixed range. */
    private Axis axis(boolean isX) {
        boolean log = isX ? logX : logY;
        double[] fixed = isX ? xRange : yRange;
        if (fixed != null) {
            return new Axis(fixed[0], fixed[1], log, false);
        }
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            double[] v = isX ? s.x() : s.y();
            if (v == null) {
                continue;
            }
            for (double a : v) {
                if (Double.isFinite(a) && (!log || a > 0)) {
                    min = Math.min(min, a);
                    max = Math.max(max, a);
                }
            }
        }
        if (isX) {
            for (Marker m : verticals) {
                if (Double.isFinite(m.x()) && (!log || m.x() > 0)) {
                    min = Math.min(min, m.x());
                    max = Math.max(max, m.x());
                }
            }
        }
        if (min > max) {
            min = log ? 1 : 0;
            max = log ? 10 : 1;
        }
        return new Axis(min, max, log, true);
    }
}
