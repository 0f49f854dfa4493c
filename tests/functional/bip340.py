"""BIP340 Schnorr signatures on secp256k1 in pure Python (standard library only).

Written from the BIP340 specification (github.com/bitcoin/bips, bip-0340.mediawiki):
x-only public keys (the x coordinate of the point with even y), tagged hashes
SHA256(SHA256(tag) || SHA256(tag) || m), and signing with the secret key
negated when its point has odd y. The node signs and verifies with
libsecp256k1 (chain/key.h); this module lets functional tests sign
transactions themselves, as Bitcoin Core's MiniWallet does.

For tests only: it is slow (tens of milliseconds a signature) and not
constant-time. self_test() checks it against the official vectors 0-3
(tests/chain/key_test.cpp checks libsecp256k1 against the same ones).
"""

import hashlib

# The curve y^2 = x^3 + 7 over F_p, its generator G and group order n.
P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def tagged_hash(tag, msg):
    """SHA256(SHA256(tag) || SHA256(tag) || msg); tag is a str, msg bytes."""
    tag_hash = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(tag_hash + tag_hash + msg).digest()


def point_add(p1, p2):
    """p1 + p2 in affine coordinates; None is the point at infinity."""
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0] and p1[1] != p2[1]:
        return None
    if p1 == p2:
        lam = (3 * p1[0] * p1[0] * pow(2 * p1[1], P - 2, P)) % P
    else:
        lam = ((p2[1] - p1[1]) * pow(p2[0] - p1[0], P - 2, P)) % P
    x3 = (lam * lam - p1[0] - p2[0]) % P
    return (x3, (lam * (p1[0] - x3) - p1[1]) % P)


def _jacobian_double(p):
    """2p for p = (X, Y, Z) in Jacobian coordinates (x = X/Z^2, y = Y/Z^3)."""
    if p is None or p[1] == 0:
        return None
    x, y, z = p
    s = 4 * x * y * y % P
    m = 3 * x * x % P
    x3 = (m * m - 2 * s) % P
    return (x3, (m * (s - x3) - 8 * pow(y, 4, P)) % P, 2 * y * z % P)


def _jacobian_add(p1, p2):
    """p1 + p2 in Jacobian coordinates; None is the point at infinity."""
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    z1z1, z2z2 = z1 * z1 % P, z2 * z2 % P
    u1, u2 = x1 * z2z2 % P, x2 * z1z1 % P
    s1, s2 = y1 * z2 * z2z2 % P, y2 * z1 * z1z1 % P
    if u1 == u2:
        return _jacobian_double(p1) if s1 == s2 else None
    h, r = (u2 - u1) % P, (s2 - s1) % P
    hh = h * h % P
    hhh = h * hh % P
    x3 = (r * r - hhh - 2 * u1 * hh) % P
    return (x3, (r * (u1 * hh - x3) - s1 * hhh) % P, h * z1 * z2 % P)


def point_mul(point, k):
    """k * point by double-and-add, in Jacobian coordinates (no inversion
    but the last); the result is affine, None for infinity."""
    result = None
    addend = (point[0], point[1], 1)
    while k:
        if k & 1:
            result = _jacobian_add(result, addend)
        addend = _jacobian_double(addend)
        k >>= 1
    if result is None:
        return None
    z_inv = pow(result[2], P - 2, P)
    return (result[0] * z_inv * z_inv % P, result[1] * z_inv * z_inv * z_inv % P)


def lift_x(x):
    """The point with x coordinate x and even y, or None."""
    if x >= P:
        return None
    y_sq = (pow(x, 3, P) + 7) % P
    y = pow(y_sq, (P + 1) // 4, P)
    if pow(y, 2, P) != y_sq:
        return None
    return (x, y if y % 2 == 0 else P - y)


def int_from_bytes(b):
    return int.from_bytes(b, "big")


def bytes_from_int(x):
    return x.to_bytes(32, "big")


def pubkey_gen(seckey):
    """The 32-byte x-only public key of a 32-byte secret key."""
    d = int_from_bytes(seckey)
    if not 1 <= d <= N - 1:
        raise ValueError("the secret key must be an integer in the range 1..n-1")
    return bytes_from_int(point_mul(G, d)[0])


def sign(msg, seckey, aux_rand=bytes(32)):
    """The 64-byte BIP340 signature R.x || s of a 32-byte message."""
    if len(msg) != 32 or len(aux_rand) != 32:
        raise ValueError("msg and aux_rand must be 32 bytes")
    d0 = int_from_bytes(seckey)
    if not 1 <= d0 <= N - 1:
        raise ValueError("the secret key must be an integer in the range 1..n-1")
    point = point_mul(G, d0)
    d = d0 if point[1] % 2 == 0 else N - d0
    t = bytes(a ^ b for a, b in zip(bytes_from_int(d), tagged_hash("BIP0340/aux", aux_rand)))
    pubkey = bytes_from_int(point[0])
    k0 = int_from_bytes(tagged_hash("BIP0340/nonce", t + pubkey + msg)) % N
    if k0 == 0:
        raise RuntimeError("failure: this happens only with negligible probability")
    r = point_mul(G, k0)
    k = k0 if r[1] % 2 == 0 else N - k0
    e = int_from_bytes(tagged_hash("BIP0340/challenge", bytes_from_int(r[0]) + pubkey + msg)) % N
    sig = bytes_from_int(r[0]) + bytes_from_int((k + e * d) % N)
    if not verify(msg, pubkey, sig):
        raise RuntimeError("the created signature does not pass verification")
    return sig


def verify(msg, pubkey, sig):
    """True if sig is a valid BIP340 signature of msg by the x-only pubkey."""
    if len(msg) != 32 or len(pubkey) != 32 or len(sig) != 64:
        return False
    point = lift_x(int_from_bytes(pubkey))
    r = int_from_bytes(sig[:32])
    s = int_from_bytes(sig[32:])
    if point is None or r >= P or s >= N:
        return False
    e = int_from_bytes(tagged_hash("BIP0340/challenge", sig[:32] + pubkey + msg)) % N
    big_r = point_add(point_mul(G, s), point_mul(point, N - e))
    return big_r is not None and big_r[1] % 2 == 0 and big_r[0] == r


# BIP340 test vectors 0-3: (secret key, public key, aux_rand, message, signature).
_VECTORS = [
    ("0000000000000000000000000000000000000000000000000000000000000003",
     "F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA8215"
     "25F66A4A85EA8B71E482A74F382D2CE5EBEEE8FDB2172F477DF4900D310536C0"),
    ("B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF",
     "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     "0000000000000000000000000000000000000000000000000000000000000001",
     "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "6896BD60EEAE296DB48A229FF71DFE071BDE413E6D43F917DC8DCF8C78DE3341"
     "8906D11AC976ABCCB20B091292BFF4EA897EFCB639EA871CFA95F6DE339E4B0A"),
    ("C90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B14E5C9",
     "DD308AFEC5777E13121FA72B9CC1B7CC0139715309B086C960E18FD969774EB8",
     "C87AA53824B4D7AE2EB035A2B5BBBCCC080E76CDC6D1692C4B0B62D798E6D906",
     "7E2D58D8B3BCDF1ABADEC7829054F90DDA9805AAB56C77333024B9D0A508B75C",
     "5831AAEED7B44BB74E5EAB94BA9D4294C49BCF2A60728D8B4C200F50DD313C1B"
     "AB745879A5AD954A72C45A91C3A51D3C7ADEA98D82F8481E0E1E03674A6F3FB7"),
    ("0B432B2677937381AEF05BB02A66ECD012773062CF3FA2549E44F58ED2401710",
     "25D1DFF95105F5253C4022F628A996AD3A0D95FBF21D468A1B33F8C160D8F517",
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
     "7EB0509757E246F19449885651611CB965ECC1A187DD51B64FDA1EDC9637D5EC"
     "97582B9CB13DB3933705B32BA982AF5AF25FD78881EBB32771FC5922EFC66EA3"),
]


def self_test():
    """Raises AssertionError unless signing reproduces BIP340 vectors 0-3."""
    for seckey, pubkey, aux, msg, sig in _VECTORS:
        seckey, pubkey, aux, msg, sig = (bytes.fromhex(v) for v in (seckey, pubkey, aux, msg, sig))
        assert pubkey_gen(seckey) == pubkey, pubkey.hex()
        assert sign(msg, seckey, aux) == sig, sig.hex()
        assert verify(msg, pubkey, sig)
        assert not verify(msg, pubkey, sig[:63] + bytes([sig[63] ^ 1]))


if __name__ == "__main__":
    self_test()
    print("BIP340 vectors 0-3 pass")
