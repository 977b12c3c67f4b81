/**
 * Implementation details of the monitoring module (the detectors' shared base, the KS distribution,
 * special functions, sorting, bucket edges, HTML rendering); not public API and subject to change
 * without notice.
 */
package org.sieveml.monitoring.internal;
