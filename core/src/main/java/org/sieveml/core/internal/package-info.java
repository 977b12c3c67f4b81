/** Implementation details of the core module; not public API and subject to change without notice. */
package org.sieveml.core.internal;
