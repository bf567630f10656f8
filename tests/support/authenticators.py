"""A second step for tests: a security key in software, and the code an authenticator app shows."""

from __future__ import annotations

import hashlib
import struct
import time
from types import SimpleNamespace

import sqlalchemy as sa

from workflow.core.models import utcnow
from workflow.extensions import db


class SoftKey:
    """A security key in software (ES256, "none" attestation) for tests over HTTP: it answers the options the desk
    sends as a browser and a key would, for the origin it is told (the desk's own, unless a test says otherwise)."""

    def __init__(self, origin: str = "http://desk.test"):
        import secrets

        from cryptography.hazmat.primitives.asymmetric import ec

        self.origin = origin
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.counter = 0

    @staticmethod
    def _b64(data: bytes) -> str:
        import base64

        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    def _client_data(self, kind: str, challenge: str) -> bytes:
        import json

        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin,
                           "crossOrigin": False}).encode()

    def _auth_data(self, rp_id: str, flags: int, attested: bytes = b"") -> bytes:
        self.counter += 1
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.counter) + attested

    def create(self, options: dict) -> dict:
        """The answer to ``navigator.credentials.create`` for these options (JSON as the desk sends them)."""
        import cbor2

        numbers = self.private.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose
        auth_data = self._auth_data(options["rp"]["id"], 0x01 | 0x04 | 0x40, attested)
        return {"id": self._b64(self.credential_id), "rawId": self._b64(self.credential_id), "type": "public-key",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": self._b64(self._client_data("webauthn.create", options["challenge"])),
                             "attestationObject": self._b64(cbor2.dumps({"fmt": "none", "attStmt": {},
                                                                         "authData": auth_data})),
                             "transports": ["usb"]}}

    def get(self, options: dict) -> dict:
        """The answer to ``navigator.credentials.get`` for these options."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        client_data = self._client_data("webauthn.get", options["challenge"])
        auth_data = self._auth_data(options["rpId"], 0x01 | 0x04)
        signature = self.private.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": self._b64(self.credential_id), "rawId": self._b64(self.credential_id), "type": "public-key",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": self._b64(client_data), "authenticatorData": self._b64(auth_data),
                             "signature": self._b64(signature)}}


def second_step_code(app, email: str) -> str:
    """The code the person's authenticator app shows for their next sign-in: the current step's, or the next one's
    when the current one was taken already (the app shows it 30 seconds later; the desk takes it a step early)."""
    import pyotp

    from workflow.auth.models import TotpSecret
    from workflow.people.models import User

    with app.app_context():
        totp = db.session.scalars(sa.select(TotpSecret).join(User, User.id == TotpSecret.user_id)
                                  .where(User.email == email)).one()
        row = SimpleNamespace(secret=totp.secret, last_step=totp.last_step)  # opened while the app is there
        db.session.remove()
    now = int(utcnow().timestamp()) // 30
    step = max(now, (row.last_step or 0) + 1)
    if step > now + 1:
        time.sleep((step - 1) * 30 - utcnow().timestamp() + 0.5)  # both steps used: wait for the next one
    return pyotp.TOTP(row.secret).generate_otp(step)
