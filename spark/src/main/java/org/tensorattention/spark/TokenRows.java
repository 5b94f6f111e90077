package org.tensorattention.spark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

/**
 * Arrays as token rows: one row per (problem, position) with one float-array column per array, e.g.
 * {@code (problem, position, q, k1, k2, v1, v2)}. Each array here is (problems, n, width): problems are
 * independent and every array has one row per token. This is the layout of a Parquet folder given as
 * --input or --output.
 */
public final class TokenRows {
    static final String PROBLEM = "problem";
    static final String POSITION = "position";

    private TokenRows() {
    }

    /** The arrays (each (problems, n, width) or (n, width), same problems and n) as a Dataset of token rows. */
    public static Dataset<Row> of(SparkSession spark, Map<String, Tensor> arrays) {
        List<String> names = new ArrayList<>(arrays.keySet());
        List<StructField> fields = new ArrayList<>();
        fields.add(DataTypes.createStructField(PROBLEM, DataTypes.IntegerType, false));
        fields.add(DataTypes.createStructField(POSITION, DataTypes.IntegerType, false));
        int problems = -1;
        int n = -1;
        for (String name : names) {
            Tensor t = arrays.get(name);
            int[] s = t.shape();
            if (s.length < 2 || s.length > 3) {
                throw new IllegalArgumentException(name + " has shape " + Tensor.shapeString(s)
                        + ": token rows hold arrays of shape (problems, n, width) or (n, width)");
            }
            int p = s.length == 3 ? s[0] : 1;
            if (problems >= 0 && (p != problems || t.dim(-2) != n)) {
                throw new IllegalArgumentException(name + " has shape " + Tensor.shapeString(s) + " but "
                        + names.get(0) + " has " + Tensor.shapeString(arrays.get(names.get(0)).shape())
                        + ": token rows need the same problems and positions in every array");
            }
            problems = p;
            n = t.dim(-2);
            DataType element = t.dtype() == DType.FLOAT32 ? DataTypes.FloatType : DataTypes.DoubleType;
            fields.add(DataTypes.createStructField(name, DataTypes.createArrayType(element, false), false));
        }
        List<Row> rows = new ArrayList<>();
        for (int p = 0; p < problems; p++) {
            for (int i = 0; i < n; i++) {
                Object[] values = new Object[names.size() + 2];
                values[0] = p;
                values[1] = i;
                for (int a = 0; a < names.size(); a++) {
                    values[a + 2] = row(arrays.get(names.get(a)), p * n + i);
                }
                rows.add(RowFactory.create(values));
            }
        }
        return spark.createDataFrame(rows, DataTypes.createStructType(fields));
    }

    private static Object row(Tensor t, int row) {
        int w = t.dim(-1);
        if (t.dtype() == DType.FLOAT32) {
            return java.util.Arrays.copyOfRange(t.floats(), row * w, (row + 1) * w);
        }
        return java.util.Arrays.copyOfRange(t.doubles(), row * w, (row + 1) * w);
    }

    /** Writes token rows to a Parquet folder (which must not exist yet). */
    public static void write(Dataset<Row> rows, String folder) {
        rows.write().parquet(folder);
    }

    /** Reads the token rows of a Parquet folder. */
    public static Dataset<Row> read(SparkSession spark, String folder) {
        return spark.read().parquet(folder);
    }

    /**
     * The arrays of token rows, each (problems, n, width), in the dtype of its column. Every (problem,
     * position) must appear once, positions 0 .. n-1 in every problem, with one width per column.
     */
    public static Map<String, Tensor> arrays(Dataset<Row> data, String where) {
        StructType schema = data.schema();
        List<String> names = new ArrayList<>();
        for (StructField f : schema.fields()) {
            if (f.name().equals(PROBLEM) || f.name().equals(POSITION)) {
                continue;
            }
            if (!(f.dataType() instanceof ArrayType at) || !(at.elementType().equals(DataTypes.FloatType)
                    || at.elementType().equals(DataTypes.DoubleType))) {
                throw new IllegalArgumentException(where + ": column '" + f.name() + "' is " + f.dataType().simpleString()
                        + ", not an array of float or double");
            }
            names.add(f.name());
        }
        for (String c : new String[] {PROBLEM, POSITION}) {
            if (!java.util.Arrays.asList(schema.fieldNames()).contains(c)) {
                throw new IllegalArgumentException(where + " has no column '" + c + "'");
            }
        }
        List<Row> rows = data.orderBy(PROBLEM, POSITION).collectAsList();
        int problems = 0;
        for (Row r : rows) {
            problems = Math.max(problems, r.getInt(r.fieldIndex(PROBLEM)) + 1);
        }
        int n = problems == 0 ? 0 : rows.size() / problems;
        for (int x = 0; x < rows.size(); x++) {
            Row r = rows.get(x);
            int p = r.getInt(r.fieldIndex(PROBLEM));
            int i = r.getInt(r.fieldIndex(POSITION));
            if (n * problems != rows.size() || p != x / n || i != x % n) {
                throw new IllegalArgumentException(where + ": token rows must cover positions 0 .. n-1 of problems "
                        + "0 .. P-1 once each (" + rows.size() + " rows for " + problems + " problems; problem " + p
                        + " position " + i + " out of place)");
            }
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : names) {
            int col = schema.fieldIndex(name);
            boolean f32 = ((ArrayType) schema.fields()[col].dataType()).elementType().equals(DataTypes.FloatType);
            int width = rows.isEmpty() ? 0 : rows.get(0).getList(col).size();
            float[] f = f32 ? new float[rows.size() * width] : null;
            double[] d = f32 ? null : new double[rows.size() * width];
            for (int x = 0; x < rows.size(); x++) {
                List<Object> values = rows.get(x).getList(col);
                if (values == null || values.size() != width) {
                    throw new IllegalArgumentException(where + ": column '" + name + "' has width "
                            + (values == null ? 0 : values.size()) + " in row " + x + " but " + width + " in row 0");
                }
                for (int l = 0; l < width; l++) {
                    Object v = values.get(l);
                    if (v == null) {
                        throw new IllegalArgumentException(where + ": column '" + name + "' has a null in row " + x);
                    }
                    if (f32) {
                        f[x * width + l] = (Float) v;
                    } else {
                        d[x * width + l] = (Double) v;
                    }
                }
            }
            out.put(name, f32 ? Tensor.of(f, problems, n, width) : Tensor.of(d, problems, n, width));
        }
        return out;
    }
}
