# The script floor: the steps of bench/portable.yml as one plain shell script,
# fed to `sh -s` over one ssh connection per host by bench/run.sh. No checks,
# no reporting: the least work that reaches the same state.
set -e
sysctl -q -w net.ipv4.ip_unprivileged_port_start=80
echo 'net.ipv4.ip_unprivileged_port_start=80' >/etc/sysctl.d/10-podman.conf
ufw allow 22/tcp >/dev/null
ufw allow 80/tcp >/dev/null
ufw allow 443/tcp >/dev/null
ufw --force enable >/dev/null
chown -R deploy:deploy /opt/containers/app
test -e /var/tmp/marker || touch /var/tmp/marker
