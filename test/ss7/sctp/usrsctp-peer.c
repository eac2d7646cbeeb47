/*
 * SCTP echo peer on the FreeBSD stack (usrsctp), SCTP over UDP encapsulation (RFC 6951).
 * usage: usrsctp-peer UDP_PORT SCTP_PORT
 * Accepts one association, echoes every user message on its stream with its PPID, and exits
 * when the peer shuts down. Prints "READY" once listening and "DONE <messages> <bytes>" at the end.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <usrsctp.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s UDP_PORT SCTP_PORT\n", argv[0]);
    return 2;
  }
  uint16_t udp_port = (uint16_t)atoi(argv[1]);
  uint16_t sctp_port = (uint16_t)atoi(argv[2]);

  usrsctp_init(udp_port, NULL, NULL);
  struct socket *listener = usrsctp_socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
  if (!listener) {
    perror("usrsctp_socket");
    return 1;
  }
  const int on = 1;
  if (usrsctp_setsockopt(listener, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof(on)) < 0) perror("SCTP_RECVRCVINFO");

  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons(sctp_port);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (usrsctp_bind(listener, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
    perror("usrsctp_bind");
    return 1;
  }
  if (usrsctp_listen(listener, 1) < 0) {
    perror("usrsctp_listen");
    return 1;
  }
  printf("READY\n");
  fflush(stdout);

  struct socket *conn = usrsctp_accept(listener, NULL, NULL);
  if (!conn) {
    perror("usrsctp_accept");
    return 1;
  }
  if (usrsctp_setsockopt(conn, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof(on)) < 0) perror("SCTP_RECVRCVINFO conn");

  static char buf[65536];
  unsigned long messages = 0, bytes = 0;
  for (;;) {
    struct sctp_rcvinfo rcv;
    socklen_t infolen = sizeof(rcv);
    unsigned int infotype = 0;
    int flags = 0;
    struct sockaddr_in from;
    socklen_t fromlen = sizeof(from);
    ssize_t n = usrsctp_recvv(conn, buf, sizeof(buf), (struct sockaddr *)&from, &fromlen, &rcv, &infolen, &infotype, &flags);
    if (n <= 0) break;
    if (flags & MSG_NOTIFICATION) continue;
    struct sctp_sndinfo snd;
    memset(&snd, 0, sizeof(snd));
    if (infotype == SCTP_RECVV_RCVINFO) {
      snd.snd_sid = rcv.rcv_sid;
      snd.snd_ppid = rcv.rcv_ppid;
    }
    if (usrsctp_sendv(conn, buf, (size_t)n, NULL, 0, &snd, sizeof(snd), SCTP_SENDV_SNDINFO, 0) < 0) {
      perror("usrsctp_sendv");
      break;
    }
    messages++;
    bytes += (unsigned long)n;
  }
  printf("DONE %lu %lu\n", messages, bytes);
  fflush(stdout);
  usrsctp_close(conn);
  usrsctp_close(listener);
  for (int i = 0; i < 50 && usrsctp_finish() != 0; i++) usleep(100000);
  return 0;
}
