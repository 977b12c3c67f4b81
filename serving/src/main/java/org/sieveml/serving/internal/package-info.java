/** Implementation details of the serving module; not a public API. */
package org.sieveml.serving.internal;
