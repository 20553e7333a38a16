"""Forms only translate input; every rule is checked by the services."""

from django import forms


class LoginForm(forms.Form):
    username = forms.CharField(max_length=150, label="Nama pengguna / Username")
    password = forms.CharField(
        max_length=1024, widget=forms.PasswordInput, label="Kata sandi / Password"
    )


class OtpForm(forms.Form):
    otp = forms.CharField(
        max_length=10,
        label="Kode 6 digit / 6-digit code",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class VendorRegistrationForm(forms.Form):
    company_name = forms.CharField(max_length=200, label="Nama perusahaan / Company name")
    nib = forms.CharField(max_length=30, label="NIB (13 digit)")
    npwp = forms.CharField(max_length=30, label="NPWP perusahaan (15/16 digit)")
    address = forms.CharField(max_length=300, label="Alamat / Address")
    city = forms.CharField(max_length=100, label="Kota/Kabupaten / City")
    email = forms.CharField(max_length=254, label="Email")
    display_name = forms.CharField(max_length=200, label="Nama lengkap Anda / Your full name")
    username = forms.CharField(max_length=150, label="Nama pengguna / Username")
    password = forms.CharField(
        max_length=1024,
        widget=forms.PasswordInput,
        label="Kata sandi (min. 10 karakter) / Password",
    )
