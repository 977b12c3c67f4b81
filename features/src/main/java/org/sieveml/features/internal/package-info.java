/** Implementation details of the features module; not a public API. */
package org.sieveml.features.internal;
