def clean(sales, customers):
    joined = sales.join(customers, sales["customer"] == customers["customer"])
    return joined.select("customer", "amount")
