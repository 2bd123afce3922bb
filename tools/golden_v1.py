# Independent cross-check of the golden value: HKDF + XAES-256-GCM from the C2SP spec.
import base64
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
master=bytes([0x42]*32)
def hk(info,n): return HKDF(hashes.SHA256(),n,b"sealed-session/v1/hkdf-salt",info).derive(master)
kid=hk(b"sealed-session/v1/key-id",4); key=hk(b"sealed-session/v1/xaes-256-gcm-key",32)
def aes(k,b):
    e=Cipher(algorithms.AES(k),modes.ECB()).encryptor(); return e.update(b)+e.finalize()
L=aes(key,bytes(16)); x=int.from_bytes(L,'big'); k1=(x<<1)&((1<<128)-1)
if x>>127: k1^=0x87
k1=k1.to_bytes(16,'big')
nonce=bytes(range(24))
m1=bytes([0,1,ord('X'),0])+nonce[:12]; m2=bytes([0,2,ord('X'),0])+nonce[:12]
kx=aes(key,bytes(a^b for a,b in zip(m1,k1)))+aes(key,bytes(a^b for a,b in zip(m2,k1)))
# AAD = version | key_id | kind (1 = session) | len(context) = 0 | context "" | name
aad=bytes([1])+kid+bytes([1,0])+b"session"
ct=AESGCM(kx).encrypt(nonce[12:],b'{"user":"ada"}',aad)
print(base64.urlsafe_b64encode(bytes([1])+kid+nonce+ct).rstrip(b'=').decode())
