package org.sieveml.features;

/**
 * What one materialization run did.
 *
 * <p>Immutable and thread-safe.
 *
 * @param view the view
 * @param fromMillis start of the event-time range, inclusive
 * @param toMillis end of the event-time range, exclusive
 * @param rowsScanned offline rows read in the range
 * @param rowsWritten rows sent to the online store (the latest per entity and segment)
 * @param rowsApplied rows the online store kept (not superseded by newer ones)
 */
public record MaterializationResult(String view, long fromMillis, long toMillis, long rowsScanned, long rowsWritten,
    long rowsApplied) {}
