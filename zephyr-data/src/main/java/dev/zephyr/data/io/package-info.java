/**
 * Reading dataset files with their Hugging Face column names: {@link dev.zephyr.data.io.DatasetRows} reads JSON Lines,
 * and Parquet through the optional DuckDB driver.
 */
package dev.zephyr.data.io;
