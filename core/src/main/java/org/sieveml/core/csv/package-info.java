/**
 * Reading CSV text: one parser for every SieveML module that takes CSV input.
 *
 * <p>Entry points: {@link org.sieveml.core.csv.CsvFrameReader} reads a CSV file with a header line into
 * a {@link org.sieveml.core.FeatureFrame} of a given {@link org.sieveml.core.FeatureSchema} (columns
 * matched by header name, an empty field is a missing value, a bad value is refused naming the line,
 * the column, the value and what was expected); {@link org.sieveml.core.csv.CsvReader} returns the
 * records of a CSV text one by one, as lists of strings with the physical line each starts on, for
 * callers with their own column semantics (the feature store's event files);
 * {@link org.sieveml.core.csv.CsvFormat} holds the dialect (delimiter) and the length limits and opens
 * readers.
 *
 * <p>The dialect is RFC 4180 with three tolerances: a leading UTF-8 byte order mark is skipped, blank
 * lines are skipped, and spaces and tabs around an unquoted field (or around the quotes of a quoted
 * one) are removed. Line breaks may be CRLF, LF or a lone CR; line numbers count physical lines, so a
 * record holding a quoted line break advances them by two.
 *
 * <p>Every failure of the input is an {@link java.lang.IllegalArgumentException} whose message starts
 * with the source's name and the line; a failure to read is an {@link java.io.UncheckedIOException}.
 * {@link org.sieveml.core.csv.CsvFormat} and {@link org.sieveml.core.csv.CsvFrameReader} are immutable
 * and thread-safe; a {@link org.sieveml.core.csv.CsvReader} is a single-threaded cursor.
 */
package org.sieveml.core.csv;
