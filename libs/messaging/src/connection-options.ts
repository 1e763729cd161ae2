/**
 * The socket options of every RabbitMQ connection. amqplib leaves Nagle's algorithm on unless told
 * (`noDelay`), so a small frame written while an earlier one is still unacknowledged at the TCP
 * level (a consumer's next ack, the next publish of a batch) waits for the broker's delayed ACK, up
 * to 40 ms on Linux. The broker's side already sends without delay (RabbitMQ's `tcp_listen_options`
 * default to nodelay).
 */
export const AMQP_SOCKET_OPTIONS = { noDelay: true };

/** How the long-lived connections (the publisher's and each consumer's) are opened, through amqp-connection-manager. */
export const AMQP_CONNECTION_OPTIONS = {
  heartbeatIntervalInSeconds: 10,
  reconnectTimeInSeconds: 1,
  connectionOptions: AMQP_SOCKET_OPTIONS,
};
