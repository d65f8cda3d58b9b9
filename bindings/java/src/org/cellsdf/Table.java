package org.cellsdf;

import com.sun.jna.Pointer;

/** Shape descriptors, one row per label per frame, with the columns of {@code cellsdf
 * describe} (frames count from 0; um, um^2, um^3, s; NaN where a value does not exist).
 * Owns a csdf_table handle; reading a closed table throws IllegalStateException. */
public final class Table implements AutoCloseable {
    private Pointer handle;
    private final String[] columns;
    private final double[] values;
    private final int rows;

    Table(Pointer handle) {
        this.handle = handle;
        CellSdfLibrary lib = CellSdf.lib();
        CellSdfLibrary.TableView v = new CellSdfLibrary.TableView();
        CellSdf.check(lib.csdf_table_view_get(handle, v));
        rows = (int) v.rows;
        columns = new String[(int) v.columns];
        for (int i = 0; i < columns.length; i++) {
            columns[i] = lib.csdf_table_column_name(i);
        }
        values = rows * columns.length == 0 ? new double[0]
            : v.values.getDoubleArray(0, rows * columns.length);
    }

    private Pointer handle() {
        if (handle == null) {
            throw new IllegalStateException("the table is closed");
        }
        return handle;
    }

    public int rows() {
        handle();
        return rows;
    }

    /** Column names (a copy), e.g. "frame", "label", "volume_um3", ..., "time_s". */
    public String[] columns() {
        handle();
        return columns.clone();
    }

    /** Value of {@code column} in {@code row}. */
    public double get(int row, String column) {
        handle();
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("row " + row + " of " + rows);
        }
        for (int c = 0; c < columns.length; c++) {
            if (columns[c].equals(column)) {
                return values[row * columns.length + c];
            }
        }
        throw new IllegalArgumentException("no column " + column);
    }

    /** Writes the CLI's CSV atomically; a file cellsdf did not write is replaced only with
     * {@code overwrite}. */
    public void writeCsv(String path, boolean overwrite) {
        CellSdf.check(CellSdf.lib().csdf_table_write_csv(handle(), path, overwrite ? 1 : 0));
    }

    @Override
    public synchronized void close() {
        if (handle != null) {
            CellSdf.lib().csdf_table_free(handle);
            handle = null;
        }
    }
}
