/* Looking for a way out of the network, from a constructor of step 05:
 * list the interfaces, try raw, packet and netlink sockets. It sends
 * nothing anywhere but to loopback (127.0.0.1). */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void try_socket(const char *what, int domain, int type, int protocol)
{
    int s = socket(domain, type, protocol);
    printf("%s: %s\n", what, s >= 0 ? "OPENED" : strerror(errno));
}

__attribute__((constructor)) static void adversary_ctor(void)
{
    struct ifreq reqs[16];
    struct ifconf ifc = {.ifc_len = sizeof reqs, .ifc_req = reqs};
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    printf("interfaces:");
    if (s >= 0 && ioctl(s, SIOCGIFCONF, &ifc) == 0)
        for (size_t i = 0; i < ifc.ifc_len / sizeof reqs[0]; i++)
            printf(" %s", reqs[i].ifr_name);
    printf("\n/proc/net/dev:");
    char line[256];
    FILE *f = fopen("/proc/net/dev", "r");
    while (f && fgets(line, sizeof line, f))
        if (strchr(line, ':'))
            printf(" %.*s", (int)strcspn(line + strspn(line, " "), ":"),
                   line + strspn(line, " "));
    printf("\n");
    struct ifaddrs *ifa;
    printf("getifaddrs: %s\n", getifaddrs(&ifa) == 0 ? "LISTED" : strerror(errno));
    try_socket("raw", AF_INET, SOCK_RAW, IPPROTO_ICMP);
    try_socket("packet", AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    try_socket("netlink", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    struct sockaddr_in lo = {.sin_family = AF_INET, .sin_port = htons(9),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int c = socket(AF_INET, SOCK_STREAM, 0);
    printf("loopback connect: %s\n", connect(c, (struct sockaddr *)&lo, sizeof lo)
                                         ? strerror(errno) : "connected");
    fflush(stdout);
    exit(7);
}
