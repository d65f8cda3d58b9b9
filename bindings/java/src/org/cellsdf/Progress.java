package org.cellsdf;

/** Progress of a long call; return false to cancel it (the call then throws a cancelled
 * {@link CellSdfException} and leaves no partial file). May be called from a library thread. */
public interface Progress {
    boolean report(float fraction, String stage);

    /** The JNA callback for {@code p} (null for none); keep it referenced during the call. */
    static CellSdfLibrary.ProgressFn callback(final Progress p) {
        if (p == null) {
            return null;
        }
        return (user, fraction, stage) -> p.report(fraction, stage) ? 0 : 1;
    }
}
