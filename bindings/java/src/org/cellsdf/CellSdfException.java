package org.cellsdf;

/** A failed libcellsdf call: the status code and the library's message. */
public class CellSdfException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    public CellSdfException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** One of CellSdfLibrary.CSDF_STATUS_*. */
    public int status() {
        return status;
    }

    /** True when the progress callback cancelled the call. */
    public boolean cancelled() {
        return status == CellSdfLibrary.CSDF_STATUS_CANCELLED;
    }
}
