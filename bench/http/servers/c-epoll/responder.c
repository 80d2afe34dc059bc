/*
 * The ceiling: a minimal single-threaded epoll HTTP/1.1 responder with no framework and no
 * general parser. It answers `GET /` with "Hello, World!" and echoes the body of `POST /echo`
 * (Content-Length bodies only), keeps connections alive and answers pipelined requests in order.
 * It validates next to nothing, so it is a measure of what the kernel and loopback allow, not a
 * server to copy. Built by bench/http/run.mjs with `cc -O2`. Listens on 127.0.0.1:$PORT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 256

typedef struct {
  int fd;
  char *in;
  size_t in_len, in_cap;
  char *out;
  size_t out_len, out_off, out_cap;
  int want_out; /* EPOLLOUT registered: changed only when needed, one syscall saved per event */
} conn;

static const char HELLO[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
static const char NOT_FOUND[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

static void append(conn *c, const char *data, size_t len) {
  if (c->out_len + len > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 4096;
    while (cap < c->out_len + len) cap *= 2;
    c->out = realloc(c->out, cap);
    if (!c->out) abort();
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, data, len);
  c->out_len += len;
}

/* Content-Length of a head, or 0 when absent. */
static size_t content_length(const char *head, size_t len) {
  const char *p = head, *end = head + len;
  while (p < end) {
    const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
    if (!eol) break;
    if ((size_t)(eol - p) > 15 && strncasecmp(p, "content-length:", 15) == 0) return strtoul(p + 15, NULL, 10);
    p = eol + 2;
  }
  return 0;
}

/* Answers every complete request in the input buffer; returns -1 to close. */
static int serve(conn *c) {
  size_t pos = 0;
  for (;;) {
    char *head = c->in + pos;
    size_t avail = c->in_len - pos;
    char *end = memmem(head, avail, "\r\n\r\n", 4);
    if (!end) break;
    size_t head_len = (size_t)(end - head) + 4;
    size_t body_len = content_length(head, head_len);
    if (head_len + body_len > avail) break;
    if (avail >= 6 && memcmp(head, "GET / ", 6) == 0) {
      append(c, HELLO, sizeof HELLO - 1);
    } else if (avail >= 11 && memcmp(head, "POST /echo ", 11) == 0) {
      char hdr[128];
      int n = snprintf(hdr, sizeof hdr,
                       "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", body_len);
      append(c, hdr, (size_t)n);
      append(c, head + head_len, body_len);
    } else {
      append(c, NOT_FOUND, sizeof NOT_FOUND - 1);
    }
    pos += head_len + body_len;
  }
  memmove(c->in, c->in + pos, c->in_len - pos);
  c->in_len -= pos;
  return 0;
}

/* Writes pending output; 1 when some remains (wait for EPOLLOUT), -1 on error. */
static int flush_out(conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
    if (n < 0) return errno == EAGAIN ? 1 : -1;
    c->out_off += (size_t)n;
  }
  c->out_len = c->out_off = 0;
  return 0;
}

static void drop(int ep, conn *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->in);
  free(c->out);
  free(c);
}

int main(void) {
  const char *port_env = getenv("PORT");
  int port = port_env ? atoi(port_env) : 3000;
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0) {
    perror("listen");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  printf("c-epoll listening on %d\n", port);
  fflush(stdout);
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(ep, events, MAX_EVENTS, -1);
    for (int i = 0; i < n; i++) {
      conn *c = events[i].data.ptr;
      if (!c) {
        int fd;
        while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          conn *nc = calloc(1, sizeof *nc);
          nc->fd = fd;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
        continue;
      }
      if (events[i].events & (EPOLLERR | EPOLLHUP)) {
        drop(ep, c);
        continue;
      }
      if (events[i].events & EPOLLIN) {
        int closed = 0;
        for (;;) {
          if (c->in_cap - c->in_len < 4096) {
            c->in_cap = c->in_cap ? c->in_cap * 2 : 16384;
            c->in = realloc(c->in, c->in_cap);
            if (!c->in) abort();
          }
          ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
          if (r > 0) {
            c->in_len += (size_t)r;
            continue;
          }
          if (r == 0 || errno != EAGAIN) closed = 1;
          break;
        }
        serve(c);
        if (closed) {
          drop(ep, c);
          continue;
        }
      }
      int pending = flush_out(c);
      if (pending < 0) {
        drop(ep, c);
        continue;
      }
      if (pending != c->want_out) {
        c->want_out = pending;
        struct epoll_event cev = {.events = pending ? EPOLLIN | EPOLLOUT : EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
      }
    }
  }
}
