package io.ktlshttps.tls;

import java.io.IOException;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.crypto.TlsCipher;
import org.bouncycastle.tls.crypto.TlsDecodeResult;
import org.bouncycastle.tls.crypto.TlsEncodeResult;

/**
 * Wraps BouncyCastle's record cipher to learn the sequence number of every record it
 * protects. BouncyCastle keeps its counters in the package-private RecordStream; this is
 * the public path to them (TlsCipher is a public interface, and createCipher a public,
 * overridable method). A rekey starts a direction over at 0 (RFC 8446 section 5.3).
 */
final class SequenceTrackingCipher implements TlsCipher {
    private final TlsCipher delegate;
    private volatile long nextReadSequence;
    private volatile long nextWriteSequence;

    SequenceTrackingCipher(TlsCipher delegate) {
        this.delegate = delegate;
    }

    /** The sequence number of the next record to be read with this cipher's current key. */
    long nextReadSequence() {
        return nextReadSequence;
    }

    /** The sequence number of the next record to be written with this cipher's current key. */
    long nextWriteSequence() {
        return nextWriteSequence;
    }

    @Override
    public TlsEncodeResult encodePlaintext(long seqNo, short contentType, ProtocolVersion recordVersion,
            int headerAllocation, byte[] plaintext, int offset, int len) throws IOException {
        TlsEncodeResult result = delegate.encodePlaintext(seqNo, contentType, recordVersion, headerAllocation,
                plaintext, offset, len);
        nextWriteSequence = seqNo + 1;
        return result;
    }

    @Override
    public TlsDecodeResult decodeCiphertext(long seqNo, short recordType, ProtocolVersion recordVersion,
            byte[] ciphertext, int offset, int len) throws IOException {
        TlsDecodeResult result = delegate.decodeCiphertext(seqNo, recordType, recordVersion, ciphertext, offset,
                len);
        nextReadSequence = seqNo + 1;
        return result;
    }

    @Override
    public void rekeyDecoder() throws IOException {
        delegate.rekeyDecoder();
        nextReadSequence = 0;
    }

    @Override
    public void rekeyEncoder() throws IOException {
        delegate.rekeyEncoder();
        nextWriteSequence = 0;
    }

    @Override
    public int getCiphertextDecodeLimit(int plaintextLimit) {
        return delegate.getCiphertextDecodeLimit(plaintextLimit);
    }

    @Override
    public int getCiphertextEncodeLimit(int plaintextLimit) {
        return delegate.getCiphertextEncodeLimit(plaintextLimit);
    }

    @Override
    public int getPlaintextDecodeLimit(int ciphertextLimit) {
        return delegate.getPlaintextDecodeLimit(ciphertextLimit);
    }

    @Override
    public int getPlaintextEncodeLimit(int ciphertextLimit) {
        return delegate.getPlaintextEncodeLimit(ciphertextLimit);
    }

    @Override
    public boolean usesOpaqueRecordTypeDecode() {
        return delegate.usesOpaqueRecordTypeDecode();
    }

    @Override
    public boolean usesOpaqueRecordTypeEncode() {
        return delegate.usesOpaqueRecordTypeEncode();
    }
}
