#!/usr/bin/perl
# Minimal syslog receiver for the lab (what rsyslog's imuxsock + omfile do).
#
#   syslog-sink.pl <socket> <logfile> <hostname> <rfc3339|rfc3164>
#
# Listens on a unix datagram socket that lab.sh bind-mounts as /dev/log inside
# a private mount namespace of one daemon (sshd, slapd), and appends each
# message to <logfile> as a syslog file line:
#   rfc3339 (Debian 12 rsyslog default, reception time, microseconds):
#     2026-06-17T03:12:45.123456+00:00 lab sshd[1234]: Failed password for ...
#   rfc3164 (traditional; the timestamp is the one the daemon's libc wrote):
#     Jun 17 03:12:45 lab sshd[1234]: Failed password for ...
# Uses only core Perl modules. On SIGTERM it drains queued messages and exits.
use strict;
use warnings;
use IO::Socket::UNIX;
use IO::Select;
use IO::Handle;
use POSIX qw(strftime);
use Socket qw(SOCK_DGRAM);
use Time::HiRes qw(gettimeofday);

my ($path, $logfile, $host, $format) = @ARGV;
die "usage: $0 <socket> <logfile> <hostname> <rfc3339|rfc3164>\n" unless defined $format;
die "format must be rfc3339 or rfc3164\n" unless $format =~ /\A(?:rfc3339|rfc3164)\z/;

unlink $path;
my $sock = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path)
  or die "syslog-sink: cannot bind $path: $!\n";
chmod 0666, $path;    # daemons may log after dropping privileges
open(my $out, '>>', $logfile) or die "syslog-sink: cannot open $logfile: $!\n";
$out->autoflush(1);

my $stop = 0;
$SIG{TERM} = $SIG{INT} = sub { $stop = 1 };

sub rfc3339_now {
  my ($s, $us) = gettimeofday();
  my $z = strftime('%z', localtime($s));    # +0000 -> +00:00
  $z =~ s/(\d\d)$/:$1/;
  return strftime('%Y-%m-%dT%H:%M:%S', localtime($s)) . sprintf('.%06d', $us) . $z;
}

sub emit {
  my ($msg) = @_;
  $msg =~ s/\0+\z//;
  $msg =~ s/\s+\z//;
  # glibc syslog(3): "<PRI>Mmm dd hh:mm:ss tag[pid]: text"
  my ($stamp, $rest);
  if ($msg =~ /\A<\d{1,3}>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (.*)\z/s) {
    ($stamp, $rest) = ($1, $2);
  } else {
    $rest = $msg =~ s/\A<\d{1,3}>//r;
  }
  $rest =~ s/\n/ /g;    # one message, one line (as rsyslog's escaping does)
  my $ts = $format eq 'rfc3164' && defined $stamp ? $stamp : ($format eq 'rfc3164'
    ? strftime('%b %e %H:%M:%S', localtime) : rfc3339_now());
  print $out "$ts $host $rest\n";
}

my $sel = IO::Select->new($sock);
while (!$stop) {
  next unless $sel->can_read(0.5);
  my $buf;
  emit($buf) if defined $sock->recv($buf, 65536) && length $buf;
}
# Drain whatever is still queued, then go.
$sock->blocking(0);
while (1) {
  my $buf;
  last unless defined $sock->recv($buf, 65536) && length $buf;
  emit($buf);
}
unlink $path;
exit 0;
