/**
 * UltraChat-style self-chat: a user-simulator model and a teacher model take turns from seed questions or topics,
 * producing {@code messages} conversations; resumable per conversation.
 */
package dev.zephyr.data.selfchat;
