#!/usr/bin/perl
# One-shot TCP relay that prepends a HAProxy PROXY v2 header, so that a real
# client (curl, ldapsearch, mariadb) talking to a lab daemon's PROXY-enabled
# listener makes the daemon log <src-ip> as the client address, while every
# packet stays on 127.0.0.1.
#
#   proxy-relay.pl <target-port> <src-ip>
#
# Listens on an ephemeral 127.0.0.1 port, prints that port on stdout, relays
# exactly one connection to 127.0.0.1:<target-port> and exits. Gives up after
# 30s without a client. Core Perl only.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Socket qw(SHUT_WR AF_INET AF_INET6 inet_pton);

my ($target, $src) = @ARGV;
die "usage: $0 <target-port> <src-ip>\n"
  unless defined $src && $target =~ /\A\d+\z/;
my $family = $src =~ /:/ ? 'TCP6' : 'TCP4';
die "src-ip must be an IPv4 address\n"
  unless $family eq 'TCP6' || $src =~ /\A(?:\d{1,3}\.){3}\d{1,3}\z/;
my $dst = $family eq 'TCP6' ? '::1' : '127.0.0.1';

my $listen = IO::Socket::INET->new(
  LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1, ReuseAddr => 1,
) or die "proxy-relay: listen: $!\n";
$| = 1;
print $listen->sockport, "\n";
close STDOUT;    # the caller reads the port, then waits for nothing else

$SIG{ALRM} = sub { exit 1 };
alarm 30;
my $client = $listen->accept or exit 1;
alarm 0;
close $listen;

my $up = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $target)
  or die "proxy-relay: connect 127.0.0.1:$target: $!\n";
# PROXY protocol v2 (binary): slapd 2.5 only understands v2; Dovecot,
# Postfix >= 3.5 and MariaDB take both.
my $sport = 40000 + int(rand(20000));
my ($af, $fam) = $family eq 'TCP6' ? (AF_INET6, 0x21) : (AF_INET, 0x11);
my $addrs = inet_pton($af, $src) . inet_pton($af, $dst) . pack('nn', $sport, $target);
my $hdr = "\r\n\r\n\0\r\nQUIT\n" . pack('CCn', 0x21, $fam, length $addrs) . $addrs;
syswrite($up, $hdr);

# Copy both ways; on EOF from one side half-close the other, stop when both
# directions are done (or after 5 minutes, so nothing lingers).
my %peer = ($client => $up, $up => $client);
my $sel = IO::Select->new($client, $up);
my $deadline = time + 300;
while ($sel->count && time < $deadline) {
  for my $fh ($sel->can_read(1)) {
    my $n = sysread($fh, my $buf, 65536);
    if (!$n) {
      $sel->remove($fh);
      shutdown($peer{$fh}, SHUT_WR);
      next;
    }
    my $off = 0;
    while ($off < $n) {
      my $w = syswrite($peer{$fh}, $buf, $n - $off, $off);
      last unless defined $w;
      $off += $w;
    }
  }
}
exit 0;
