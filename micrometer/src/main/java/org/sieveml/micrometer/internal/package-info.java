/**
 * Implementation details of the Micrometer module (how telemetry metric names map to meter names and
 * tags, and the registration bookkeeping the binders share); not public API and subject to change
 * without notice.
 */
package org.sieveml.micrometer.internal;
