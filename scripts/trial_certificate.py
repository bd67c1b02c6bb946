"""Make a self-signed TLS certificate for a trial (docker compose's `certs` service runs it at start).

Writes dibao.key and dibao.crt into the folder given, for the host names given (the first is the
subject; localhost and 127.0.0.1 are always added), unless a certificate valid for at least 7 more days
is already there. Never committed, never for production: use the organisation's certificate there.

    python scripts/trial_certificate.py /etc/dibao/certs dibao.example.cn
"""

import ipaddress
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALID_DAYS = 90


def still_valid(path: Path) -> bool:
    try:
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return False
    return certificate.not_valid_after_utc > datetime.now(UTC) + timedelta(days=7)


def make(folder: Path, hosts: list[str]) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = folder / "dibao.key", folder / "dibao.crt"
    if key_path.exists() and still_valid(cert_path):
        return False
    names = list(dict.fromkeys([*hosts, "localhost", "127.0.0.1"]))
    alternative = [x509.IPAddress(ipaddress.ip_address(n)) if n.replace(".", "").isdigit() else x509.DNSName(n)
                   for n in names]
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0]),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dibao trial (self-signed)")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
                   .not_valid_after(now + timedelta(days=VALID_DAYS))
                   .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o640)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return True


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    hosts = [h.strip() for arg in sys.argv[2:] for h in arg.split(",") if h.strip()]
    made = make(Path(sys.argv[1]), hosts)
    print("made a new trial certificate" if made else "the trial certificate is still valid")
