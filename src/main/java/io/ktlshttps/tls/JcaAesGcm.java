package io.ktlshttps.tls;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.CipherParameters;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.AEADBlockCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * AES-GCM for BouncyCastle's record layer, computed by the JDK's provider (which uses
 * AES-NI and carry-less multiply intrinsics) instead of BouncyCastle's pure-Java engine:
 * the user-space fallback then costs what JSSE's records cost. BouncyCastle's TLS code
 * drives it as one record per init: AAD, all the input, then doFinal.
 */
final class JcaAesGcm implements AEADBlockCipher {
    private final Cipher cipher;
    private boolean encrypting;
    private int tagBytes;
    private byte[] keyBytes;
    private SecretKeySpec key;
    private byte[] input = new byte[0];
    private int inputLength;

    JcaAesGcm() {
        try {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no AES/GCM/NoPadding", e);
        }
    }

    @Override
    public void init(boolean forEncryption, CipherParameters params) {
        if (!(params instanceof AEADParameters)) {
            throw new IllegalArgumentException("AEADParameters expected");
        }
        AEADParameters p = (AEADParameters) params;
        KeyParameter k = p.getKey();
        if (k != null && (keyBytes == null || !Arrays.equals(keyBytes, k.getKey()))) {
            keyBytes = k.getKey();
            key = new SecretKeySpec(keyBytes, "AES");
        }
        encrypting = forEncryption;
        tagBytes = p.getMacSize() / 8;
        inputLength = 0;
        try {
            cipher.init(forEncryption ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, key,
                    new GCMParameterSpec(p.getMacSize(), p.getNonce()));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        byte[] aad = p.getAssociatedText();
        if (aad != null && aad.length > 0) {
            cipher.updateAAD(aad);
        }
    }

    @Override
    public String getAlgorithmName() {
        return "AES/GCM";
    }

    @Override
    public BlockCipher getUnderlyingCipher() {
        return AESEngine.newInstance();
    }

    @Override
    public void processAADByte(byte in) {
        cipher.updateAAD(new byte[] {in});
    }

    @Override
    public void processAADBytes(byte[] in, int inOff, int len) {
        cipher.updateAAD(in, inOff, len);
    }

    @Override
    public int processByte(byte in, byte[] out, int outOff) {
        return processBytes(new byte[] {in}, 0, 1, out, outOff);
    }

    /** Input is gathered and processed at doFinal, so in-place calls are safe. */
    @Override
    public int processBytes(byte[] in, int inOff, int len, byte[] out, int outOff) {
        if (inputLength + len > input.length) {
            input = Arrays.copyOf(input, Math.max(inputLength + len, input.length * 2));
        }
        System.arraycopy(in, inOff, input, inputLength, len);
        inputLength += len;
        return 0;
    }

    @Override
    public int doFinal(byte[] out, int outOff) throws InvalidCipherTextException {
        try {
            return cipher.doFinal(input, 0, inputLength, out, outOff);
        } catch (AEADBadTagException e) {
            throw new InvalidCipherTextException("mac check in GCM failed");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e.getMessage(), e);
        } finally {
            inputLength = 0;
        }
    }

    @Override
    public byte[] getMac() {
        throw new UnsupportedOperationException("not used by the TLS record layer");
    }

    @Override
    public int getUpdateOutputSize(int len) {
        return 0;
    }

    @Override
    public int getOutputSize(int len) {
        int total = inputLength + len;
        return encrypting ? total + tagBytes : Math.max(0, total - tagBytes);
    }

    @Override
    public void reset() {
        inputLength = 0;
    }
}
