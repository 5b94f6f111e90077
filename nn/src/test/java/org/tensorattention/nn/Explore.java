package org.tensorattention.nn;

import org.tensorattention.nn.task.MatchData;
import org.tensorattention.nn.task.Task;

/** Scratch: a training run with the reference kernel, printed. Not a test. */
public final class Explore {
    public static void main(String[] a) {
        int order = Integer.parseInt(a[0]);
        int width = Integer.parseInt(a[1]);
        int heads = Integer.parseInt(a[2]);
        int n = Integer.parseInt(a[3]);
        int m = Integer.parseInt(a[4]);
        int steps = Integer.parseInt(a[5]);
        double lr = Double.parseDouble(a[6]);
        int batch = Integer.parseInt(a[7]);
        boolean ref = a.length > 8 && a[8].equals("ref");
        MatchData d = MatchData.balanced(Task.MATCH3, n, m);
        ModelConfig mc = ModelConfig.of(m, n, width, heads, order).withSink(Boolean.getBoolean("sink")).withFourier(Boolean.getBoolean("fourier"));
        if (System.getProperty("scale") != null) {
            mc = mc.withScale(Double.parseDouble(System.getProperty("scale")));
        }
        if (System.getProperty("mlp") != null) {
            mc = mc.withMlp(Integer.parseInt(System.getProperty("mlp")), Activation.GELU);
        }
        if (System.getProperty("method") != null) {
            mc = mc.withMethod(org.tensorattention.core.Method.parse(System.getProperty("method")), Double.parseDouble(System.getProperty("eps", "1e-3")));
        }
        int every = Integer.getInteger("every", 100);
        Transformer model = ref ? new Transformer(mc, 2, new ReferenceKernel()) : new Transformer(mc, 2);
        TrainConfig tc = new TrainConfig(Task.MATCH3, n, m, d.subset(), steps, batch, lr, Double.parseDouble(System.getProperty("wd", "0.01")), Math.min(200, steps / 10), 1, 1000, every);
        Trainer tr = new Trainer(model, tc);
        System.out.println("subset " + d.subset() + " params " + model.parameterCount());
        long t0 = System.nanoTime();
        double avgL = 0, avgA = 0;
        for (int s = 0; s < steps; s++) {
            Trainer.Step st;
            try {
                st = tr.step();
            } catch (IllegalArgumentException e) {
                System.out.println("refused at step " + (s + 1) + ": " + e.getMessage());
                return;
            }
            avgL += st.loss(); avgA += st.accuracy();
            if ((s + 1) % every == 0) {
                Trainer.Evaluation e = tr.evaluate();
                System.out.printf("step %d loss %.4f acc %.3f  test %.3f  %.1fs%n", s + 1, avgL / every, avgA / every, e.accuracy(), (System.nanoTime() - t0) * 1e-9);
                avgL = 0; avgA = 0;
            }
        }
    }
}
