/** Implementation details of the ranking module; not a public API. */
package org.sieveml.ranking.internal;
