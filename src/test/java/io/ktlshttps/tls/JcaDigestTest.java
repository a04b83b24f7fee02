package io.ktlshttps.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.SecureRandom;
import java.util.Random;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.tls.crypto.CryptoHashAlgorithm;
import org.bouncycastle.tls.crypto.TlsHash;
import org.bouncycastle.tls.crypto.TlsHMAC;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The JDK's SHA-2 behind BouncyCastle's Digest gives BouncyCastle's own answers: plain
 * hashes over updates of every size, HMACs that reuse their key (HMac's saved states),
 * copies of a running hash, and the TLS hashes and HMACs the handshake makes through
 * {@link SequenceTrackingCrypto}. (Every handshake test, with real clients, checks the
 * same end to end: a wrong hash fails the Finished.)
 */
class JcaDigestTest {
    private static final Random RANDOM = new Random(20261127);

    private static Digest bouncyCastle(int algorithm) {
        switch (algorithm) {
            case CryptoHashAlgorithm.sha256:
                return new SHA256Digest();
            case CryptoHashAlgorithm.sha384:
                return new SHA384Digest();
            default:
                return new SHA512Digest();
        }
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static byte[] finish(Digest d) {
        byte[] out = new byte[d.getDigestSize()];
        assertEquals(out.length, d.doFinal(out, 0));
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {CryptoHashAlgorithm.sha256, CryptoHashAlgorithm.sha384, CryptoHashAlgorithm.sha512})
    void hashesAsBouncyCastleDoesOverUpdatesOfEverySizeAndResetsAfterEach(int algorithm) {
        Digest ours = JcaDigest.create(algorithm);
        Digest theirs = bouncyCastle(algorithm);
        assertEquals(theirs.getAlgorithmName(), ours.getAlgorithmName());
        assertEquals(theirs.getDigestSize(), ours.getDigestSize());
        assertEquals(((org.bouncycastle.crypto.ExtendedDigest) theirs).getByteLength(),
                ((org.bouncycastle.crypto.ExtendedDigest) ours).getByteLength());
        for (int total : new int[] {0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 1000, 20_000}) {
            byte[] data = bytes(total);
            int at = 0;
            while (at < total) { // updates of random sizes, some single bytes
                int n = Math.min(total - at, RANDOM.nextInt(3) == 0 ? 1 : 1 + RANDOM.nextInt(300));
                if (n == 1) {
                    ours.update(data[at]);
                    theirs.update(data[at]);
                } else {
                    ours.update(data, at, n);
                    theirs.update(data, at, n);
                }
                at += n;
            }
            assertArrayEquals(finish(theirs), finish(ours), total + " bytes");
        }
        ours.update(bytes(10), 0, 10);
        ours.reset();
        assertArrayEquals(finish(bouncyCastle(algorithm)), finish(ours), "reset: the hash of nothing");
    }

    @ParameterizedTest
    @ValueSource(ints = {CryptoHashAlgorithm.sha256, CryptoHashAlgorithm.sha384})
    void hmacsWithOneKeyMatchBouncyCastlesAcrossResets(int algorithm) {
        for (int keyLength : new int[] {16, 48, 200}) { // under and over the block size
            KeyParameter key = new KeyParameter(bytes(keyLength));
            HMac ours = new HMac(JcaDigest.create(algorithm));
            HMac theirs = new HMac(bouncyCastle(algorithm));
            ours.init(key);
            theirs.init(key);
            for (int i = 0; i < 5; i++) { // each doFinal goes back to the saved key states
                byte[] message = bytes(RANDOM.nextInt(400));
                ours.update(message, 0, message.length);
                theirs.update(message, 0, message.length);
                byte[] a = new byte[ours.getMacSize()];
                byte[] b = new byte[theirs.getMacSize()];
                ours.doFinal(a, 0);
                theirs.doFinal(b, 0);
                assertArrayEquals(b, a, "key " + keyLength + ", MAC " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {CryptoHashAlgorithm.sha256, CryptoHashAlgorithm.sha384})
    void aCopyOfARunningHashGoesOnByItself(int algorithm) {
        JcaDigest running = JcaDigest.create(algorithm);
        byte[] first = bytes(300);
        byte[] second = bytes(77);
        running.update(first, 0, first.length);
        JcaDigest copy = (JcaDigest) running.copy();
        running.update(second, 0, second.length);

        Digest expectedCopy = bouncyCastle(algorithm);
        expectedCopy.update(first, 0, first.length);
        Digest expectedRunning = bouncyCastle(algorithm);
        expectedRunning.update(first, 0, first.length);
        expectedRunning.update(second, 0, second.length);
        assertArrayEquals(finish(expectedCopy), finish(copy));
        assertArrayEquals(finish(expectedRunning), finish(running));

        JcaDigest other = JcaDigest.create(algorithm == CryptoHashAlgorithm.sha256
                ? CryptoHashAlgorithm.sha384 : CryptoHashAlgorithm.sha256);
        assertThrows(IllegalArgumentException.class, () -> running.reset(other));
    }

    @org.junit.jupiter.api.Test
    void theHandshakesCryptoUsesItForSha2AndClonesItsTranscriptHash() {
        SequenceTrackingCrypto crypto = new SequenceTrackingCrypto(new SecureRandom());
        BcTlsCrypto plain = new BcTlsCrypto(new SecureRandom());
        assertInstanceOf(JcaDigest.class, crypto.createDigest(CryptoHashAlgorithm.sha384));
        assertInstanceOf(org.bouncycastle.crypto.digests.SHA1Digest.class, crypto.createDigest(CryptoHashAlgorithm.sha1));
        assertNull(JcaDigest.create(CryptoHashAlgorithm.sha1));

        byte[] transcript = bytes(900);
        TlsHash ours = crypto.createHash(CryptoHashAlgorithm.sha384);
        TlsHash theirs = plain.createHash(CryptoHashAlgorithm.sha384);
        ours.update(transcript, 0, 500);
        theirs.update(transcript, 0, 500);
        TlsHash oursAtHalf = ours.cloneHash();
        ours.update(transcript, 500, 400);
        theirs.update(transcript, 500, 400);
        assertArrayEquals(theirs.calculateHash(), ours.calculateHash());
        TlsHash theirsAtHalf = plain.createHash(CryptoHashAlgorithm.sha384);
        theirsAtHalf.update(transcript, 0, 500);
        assertArrayEquals(theirsAtHalf.calculateHash(), oursAtHalf.calculateHash());

        byte[] key = bytes(48);
        TlsHMAC ourMac = crypto.createHMACForHash(CryptoHashAlgorithm.sha256);
        TlsHMAC theirMac = plain.createHMACForHash(CryptoHashAlgorithm.sha256);
        ourMac.setKey(key, 0, key.length);
        theirMac.setKey(key, 0, key.length);
        ourMac.update(transcript, 0, transcript.length);
        theirMac.update(transcript, 0, transcript.length);
        assertArrayEquals(theirMac.calculateMAC(), ourMac.calculateMAC());
    }
}
