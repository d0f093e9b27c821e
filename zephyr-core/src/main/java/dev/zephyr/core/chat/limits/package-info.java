/**
 * Decorators that add retries, a request rate and a concurrency limit to any {@link dev.zephyr.core.chat.ChatModel},
 * in the manner of the response cache ({@code dev.zephyr.core.chat.cache.CachedChatModel}): an endpoint client only
 * sends one request once, and these wrap it. {@link dev.zephyr.core.chat.endpoint.EndpointSpec#open()} stacks them as a config
 * asks.
 */
package dev.zephyr.core.chat.limits;
