package org.sieveml.spark.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.spark.LakeDataset;
import org.sieveml.spark.LakeDatasetException;

/**
 * Checks a lake dataset's files against its view before any job reads them: each file's footer is
 * read (a corrupt footer, a missing mapped column, or a column of a type the view cannot read is a
 * {@link LakeDatasetException} naming file and column), and every file must agree with the first on
 * each mapped column's kind. {@link #verifyRowGroups} decodes every row group of one file and names the
 * first that does not decode.
 *
 * <p>Stateless and thread-safe.
 */
public final class ParquetCheck {

  /** What a mapped column holds, as far as reading it goes. */
  public enum Kind {
    /** 64- or 32-bit integers. */
    INTEGER,
    /** Strings. */
    STRING,
    /** A timestamp adjusted to UTC (Spark's TimestampType). */
    TIMESTAMP,
    /** Doubles or floats. */
    REAL,
    /** Booleans. */
    BOOLEAN,
    /** A list of floats or doubles. */
    VECTOR
  }

  private ParquetCheck() {}

  /**
   * Every data file of the dataset: files named directly, and the non-hidden files under directories
   * (recursively; names starting with {@code _} or {@code .} are skipped, as Spark skips them).
   *
   * @param ds the dataset
   * @param conf the Hadoop configuration
   * @return the files, in a stable order
   * @throws LakeDatasetException naming a path that does not exist or holds no files
   */
  public static List<String> files(LakeDataset ds, Configuration conf) {
    List<String> out = new ArrayList<>();
    for (String p : ds.paths()) {
      Path path = new Path(p);
      try {
        FileSystem fs = path.getFileSystem(conf);
        if (!fs.exists(path)) {
          throw new LakeDatasetException(p, null, "does not exist", null);
        }
        FileStatus st = fs.getFileStatus(path);
        if (st.isFile()) {
          out.add(st.getPath().toString());
          continue;
        }
        for (String table : new String[] {"_delta_log", "metadata"}) {
          if (fs.exists(new Path(path, table)) && (table.equals("_delta_log")
              || fs.globStatus(new Path(new Path(path, table), "*.metadata.json")).length > 0)) {
            throw new LakeDatasetException(p, null, "is a " + (table.equals("_delta_log") ? "Delta" : "Iceberg")
                + " table: its files include rows the table has deleted or rewritten; register the table's current "
                + "files (e.g. from its snapshot), not the directory", null);
          }
        }
        List<String> found = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(path, true);
        while (it.hasNext()) {
          LocatedFileStatus f = it.next();
          if (!hidden(path, f.getPath())) {
            found.add(f.getPath().toString());
          }
        }
        if (found.isEmpty()) {
          throw new LakeDatasetException(p, null, "holds no data files", null);
        }
        found.sort(null);
        out.addAll(found);
      } catch (IOException e) {
        throw new LakeDatasetException(p, null, "cannot be listed: " + e, e);
      }
    }
    List<String> unique = new ArrayList<>(new java.util.LinkedHashSet<>(out));
    if (unique.size() != out.size()) {
      throw new LakeDatasetException(ds.paths().toString(), null, "the paths overlap: " + (out.size() - unique.size())
          + " files are named twice, and their rows would count twice", null);
    }
    return out;
  }

  private static boolean hidden(Path root, Path file) {
    for (Path p = file; p != null && !p.equals(root); p = p.getParent()) {
      String n = p.getName();
      if (n.startsWith("_") || n.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Checks every file's footer against the mapping.
   *
   * @param ds the dataset
   * @param joinKeys the view's entity join keys
   * @param fields the view's stored fields
   * @param files the files ({@link #files})
   * @param conf the Hadoop configuration
   * @return each mapped column's kind, by column name
   * @throws LakeDatasetException naming the file and column of the first problem
   */
  public static Map<String, Kind> check(LakeDataset ds, List<String> joinKeys, FeatureSchema fields,
      List<String> files, Configuration conf) {
    Map<String, Kind> agreed = new LinkedHashMap<>();
    Map<String, String> shapes = new LinkedHashMap<>();
    for (String file : files) {
      MessageType schema;
      try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(file), conf))) {
        schema = r.getFooter().getFileMetaData().getSchema();
      } catch (IOException | RuntimeException e) {
        throw new LakeDatasetException(file, null, "not a readable Parquet file (corrupt or missing footer): " + e,
            e);
      }
      Map<String, Kind> kinds = new LinkedHashMap<>();
      for (String k : joinKeys) {
        kinds.put(ds.keyColumn(k), need(file, schema, ds.keyColumn(k), "entity key '" + k + "'",
            Kind.INTEGER, Kind.STRING));
      }
      for (String t : new String[] {ds.eventTime(), ds.createdTime(), ds.ingestionTime()}) {
        if (t != null) {
          kinds.put(t, need(file, schema, t, t.equals(ds.eventTime()) ? "event time" : "time", Kind.TIMESTAMP,
              Kind.INTEGER));
          Type tt = schema.getType(t);
          if (tt.asPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.INT32) {
            throw new LakeDatasetException(file, t, "is a 32-bit integer, expected epoch milliseconds as a 64-bit "
                + "integer or a timestamp (32-bit milliseconds end in January 1970: seconds?)", null);
          }
        }
      }
      if (ds.sequence() != null) {
        kinds.put(ds.sequence(), need(file, schema, ds.sequence(), "sequence", Kind.INTEGER));
      }
      for (FeatureSpec f : fields.specs()) {
        String c = ds.fieldColumn(f.name());
        switch (f.type()) {
          case DOUBLE:
            kinds.put(c, need(file, schema, c, "DOUBLE field '" + f.name() + "'", Kind.REAL));
            break;
          case LONG:
            kinds.put(c, need(file, schema, c, "LONG field '" + f.name() + "'", Kind.INTEGER));
            break;
          case BOOLEAN:
            kinds.put(c, need(file, schema, c, "BOOLEAN field '" + f.name() + "'", Kind.BOOLEAN));
            break;
          case STRING:
            kinds.put(c, need(file, schema, c, "STRING field '" + f.name() + "'", Kind.STRING));
            break;
          default:
            kinds.put(c, need(file, schema, c, "EMBEDDING field '" + f.name() + "'", Kind.VECTOR));
        }
      }
      for (Map.Entry<String, Kind> e : kinds.entrySet()) {
        Kind first = agreed.putIfAbsent(e.getKey(), e.getValue());
        String shape = describe(schema.getType(e.getKey())).replaceFirst("^(optional|required) ", "");
        String firstShape = shapes.putIfAbsent(e.getKey(), shape);
        if ((first != null && first != e.getValue()) || (firstShape != null && !firstShape.equals(shape))) {
          throw new LakeDatasetException(file, e.getKey(), "is " + shape + " where the dataset's first file "
              + files.get(0) + " has " + firstShape + "; every file must store a column alike (Spark reads all "
              + "with the first file's schema)", null);
        }
      }
    }
    return agreed;
  }

  private static Kind need(String file, MessageType schema, String column, String role, Kind... allowed) {
    if (!schema.containsField(column)) {
      throw new LakeDatasetException(file, column, "missing (mapped as the " + role + "); the file has "
          + names(schema), null);
    }
    Type t = schema.getType(column);
    Kind k = kindOf(t);
    for (Kind a : allowed) {
      if (a == k) {
        return k;
      }
    }
    throw new LakeDatasetException(file, column, "is " + describe(t) + ", expected " + java.util.Arrays.toString(allowed)
        + " for the " + role, null);
  }

  private static List<String> names(MessageType schema) {
    List<String> n = new ArrayList<>();
    for (Type t : schema.getFields()) {
      n.add(t.getName());
    }
    return n;
  }

  private static String describe(Type t) {
    return t.toString().replace('\n', ' ').trim();
  }

  /** The kind of a column, or null when none fits. */
  static Kind kindOf(Type t) {
    if (t.isRepetition(Type.Repetition.REPEATED)) {
      return null;
    }
    LogicalTypeAnnotation a = t.getLogicalTypeAnnotation();
    if (!t.isPrimitive()) {
      if (!(a instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation)) {
        return null;
      }
      Type leaf = t;
      int depth = 0;
      while (!leaf.isPrimitive()) {
        GroupType g = leaf.asGroupType();
        if (g.getFieldCount() != 1 || ++depth > 2
            || (depth > 1 && g.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation)) {
          return null; // a list of lists, or not the list layout
        }
        leaf = g.getType(0);
      }
      PrimitiveTypeName p = leaf.asPrimitiveType().getPrimitiveTypeName();
      return p == PrimitiveTypeName.FLOAT || p == PrimitiveTypeName.DOUBLE ? Kind.VECTOR : null;
    }
    PrimitiveType p = t.asPrimitiveType();
    switch (p.getPrimitiveTypeName()) {
      case INT64:
        if (a instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation ts) {
          // Spark reads a local timestamp as TIMESTAMP_NTZ, and refuses nanoseconds
          return ts.isAdjustedToUTC() && ts.getUnit() != LogicalTypeAnnotation.TimeUnit.NANOS ? Kind.TIMESTAMP : null;
        }
        return a == null || a instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation ? Kind.INTEGER : null;
      case INT32:
        return a == null || a instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation ? Kind.INTEGER : null;
      case INT96:
        return Kind.TIMESTAMP;
      case DOUBLE:
      case FLOAT:
        return Kind.REAL;
      case BOOLEAN:
        return Kind.BOOLEAN;
      case BINARY:
        return a instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
            || a instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation ? Kind.STRING : null;
      default:
        return null;
    }
  }

  /**
   * Decodes every page of every row group of a file, naming the first row group that fails.
   *
   * @param file the file
   * @param conf the Hadoop configuration
   * @return the number of rows
   * @throws LakeDatasetException naming the file and row group
   */
  public static long verifyRowGroups(String file, Configuration conf) {
    long rows = 0;
    try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(file), conf))) {
      MessageType schema = r.getFooter().getFileMetaData().getSchema();
      int groups = r.getRowGroups().size();
      for (int g = 0; g < groups; g++) {
        try {
          PageReadStore pages = r.readNextRowGroup();
          org.apache.parquet.io.MessageColumnIO io = new org.apache.parquet.io.ColumnIOFactory().getColumnIO(schema);
          org.apache.parquet.io.RecordReader<org.apache.parquet.example.data.Group> rr = io.getRecordReader(pages,
              new org.apache.parquet.example.data.simple.convert.GroupRecordConverter(schema));
          for (long i = 0; i < pages.getRowCount(); i++) {
            rr.read();
          }
          rows += pages.getRowCount();
        } catch (IOException | RuntimeException e) {
          throw new LakeDatasetException(file, null, "row group " + g + " of " + groups + " does not decode: " + e, e);
        }
      }
    } catch (IOException e) {
      throw new LakeDatasetException(file, null, "cannot be read: " + e, e);
    }
    return rows;
  }
}
